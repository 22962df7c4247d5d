using System.Diagnostics;
using System.Globalization;

namespace CartCrossSell.Load;

/// <summary>One command's figures from <c>redis-benchmark --csv</c> (Redis 7 reports p50 and p99).</summary>
public sealed record RedisBenchmarkResult(string Command, double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, string CommandLine);

/// <summary>
/// The floor for storefront reads: <c>redis-benchmark</c> against the same server, 50 connections, values the size
/// of the mean cart value. <c>-t set,get</c> so that the GETs find a value of that size (GET alone reads a missing key).
/// </summary>
public static class RedisBenchmarkRow
{
    public static async Task<RedisBenchmarkResult?> RunAsync(int port, int payloadBytes, int clients, int requests, CancellationToken ct)
    {
        var args = new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "set,get", "-d", payloadBytes.ToString(CultureInfo.InvariantCulture),
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "--csv" };
        var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // redis-benchmark ships with the Debian package redis-tools
        }
        if (process is null) return null;
        using (process)
        {
            var stdout = await process.StandardOutput.ReadToEndAsync(ct);
            _ = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return Parse(stdout, "redis-benchmark " + string.Join(' ', args));
        }
    }

    /// <summary>Reads the GET row: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".</summary>
    public static RedisBenchmarkResult? Parse(string csv, string commandLine)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2) return null;
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToList();
        int rps = header.IndexOf("rps"), p50 = header.IndexOf("p50_latency_ms"), p99 = header.IndexOf("p99_latency_ms");
        if (rps < 0 || p50 < 0 || p99 < 0) return null;
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',').Select(c => c.Trim('"')).ToArray();
            if (cells[0] != "GET") continue;
            double Cell(int i) => double.Parse(cells[i], CultureInfo.InvariantCulture);
            return new RedisBenchmarkResult("GET", Cell(rps), Cell(p50), Cell(p99), commandLine);
        }
        return null;
    }
}
