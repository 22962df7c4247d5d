using System.Diagnostics;
using CartCrossSell.TestInfrastructure;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// Input for the kill tests, given out while the lives are killed: published all at once, a life could finish the work
/// before its kill and the test would never see a crash in the middle of it.
/// </summary>
internal static class Trickle
{
    /// <summary>Publishes items <paramref name="from"/> to <paramref name="count"/> (exclusive) in <paramref name="slices"/> slices, <paramref name="gap"/> apart.</summary>
    public static async Task InSlicesAsync(int from, int count, int slices, TimeSpan gap, Func<int, int, Task> publishRange)
    {
        var size = Math.Max(1, (count - from + slices - 1) / slices);
        for (var start = from; start < count; start += size)
        {
            await publishRange(start, Math.Min(start + size, count));
            await Task.Delay(gap);
        }
    }
}

/// <summary>The carts' values in Redis against what each cart's events add up to.</summary>
internal static class CartValues
{
    /// <summary>Until every cart's value answers its latest event (its timestamp) with the value its events add up to (an event applied twice would show).</summary>
    public static Task UntilEveryCartAnswersAsync(CartCrossSell.Redis.RecommendationStore store,
        IReadOnlyDictionary<string, (decimal Value, DateTimeOffset Last)> expected, TimeSpan timeout, string what) =>
        Polling.UntilAsync(async () =>
        {
            try
            {
                foreach (var (cartId, (value, last)) in expected)
                {
                    var stored = await store.ReadAsync(cartId);
                    if (stored is null || stored.EventTimestamp != last || stored.CartValue != value) return false;
                }
                return true;
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or StackExchange.Redis.RedisTimeoutException)
            {
                // The probe's own read while the connection comes back after a Redis restart: not yet, ask again.
                return false;
            }
        }, timeout, what);
}

/// <summary>The service's command line in a child process, its output in the test log, and a real SIGKILL.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ITestOutputHelper _output;
    private readonly List<string> _lines = [];

    private ChildProcess(Process process, ITestOutputHelper output)
    {
        _process = process;
        _output = output;
    }

    /// <summary>
    /// <c>cartxsell run --topologies {group}</c> on <paramref name="kafka"/> (and the redis-server at <paramref name="redis"/>),
    /// without a metrics port, configured by <paramref name="settings"/> (<c>CARTXSELL__…</c> variables).
    /// </summary>
    public static ChildProcess Run(ITestOutputHelper output, string group, CartCrossSell.Streams.KafkaOptions kafka, string? redis,
        IReadOnlyDictionary<string, string> settings) =>
        Start(output, typeof(CartCrossSell.Cli.Hosting.StorefrontCarts).Assembly.Location,
            ["run", "--topologies", group, "--bootstrap-servers", kafka.BootstrapServers, .. (redis is null ? Array.Empty<string>() : ["--redis", redis]), "--metrics-port", "0"],
            settings);

    public static ChildProcess Start(ITestOutputHelper output, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, output);
        process.OutputDataReceived += (_, e) => child.Received(e.Data);
        process.ErrorDataReceived += (_, e) => child.Received(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Received(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        // Only what matters for a failure: the service's own lines, warnings and errors.
        if (!line.Contains("info:", StringComparison.Ordinal) && !line.StartsWith("      ", StringComparison.Ordinal))
        {
            try
            {
                _output.WriteLine("[child] " + line);
            }
            catch (InvalidOperationException)
            {
                // the test already ended
            }
        }
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_lines)
                if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal))) return;
            if (_process.HasExited)
            {
                // Its last lines may still be on their way through the pipes: WaitForExit() returns once both are read.
                _process.WaitForExit();
                lock (_lines)
                    if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal))) return;
                throw new InvalidOperationException($"the child exited with {_process.ExitCode} before printing '{text}'");
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the child did not print '{text}' within {timeout.TotalSeconds} s");
    }

    /// <summary>
    /// Three lives of a topology group, each SIGKILLed a random (seeded) time after its group reports RUNNING; the
    /// third starts with <paramref name="stateDirectory"/> wiped, as on a new machine, so its state comes from the
    /// changelog. <paramref name="describe"/> adds what the test wants logged at each kill.
    /// </summary>
    public static async Task KillThreeLivesAsync(Func<ChildProcess> start, string group, string stateDirectory, int minMilliseconds, int maxMilliseconds,
        ITestOutputHelper output, Func<Task<string>>? describe = null)
    {
        var random = new Random(20261130);
        for (var life = 1; life <= 3; life++)
        {
            if (life == 3) Directory.Delete(stateDirectory, recursive: true);
            using var child = start();
            await child.WaitForOutputAsync($"{group}: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60));
            var killAfter = TimeSpan.FromMilliseconds(random.Next(minMilliseconds, maxMilliseconds));
            await Task.Delay(killAfter);
            var state = describe is null ? null : await DescribeAsync(describe);
            child.Kill();
            output.WriteLine($"life {life}: SIGKILL {killAfter.TotalMilliseconds:F0} ms after it started processing{(state is null ? "" : ", " + state)}");
        }
    }

    /// <summary>
    /// What the test logs at a kill, read within 3 s. It is a diagnostic, not an assertion: a read that fails or is slow
    /// (a loaded CI machine) is logged as such instead of failing the test, and cannot hold the kill back for long.
    /// </summary>
    private static async Task<string> DescribeAsync(Func<Task<string>> describe)
    {
        try
        {
            return await describe().WaitAsync(TimeSpan.FromSeconds(3));
        }
        catch (Exception e)
        {
            return $"(what was done by then could not be read: {e.GetType().Name}: {e.Message.Split('\n')[0]})";
        }
    }

    /// <summary>The exit code once the child has exited on its own (it is SIGKILLed and the wait fails after <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the child did not exit within {timeout.TotalSeconds} s");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hook, no commit, no RocksDB checkpoint.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
