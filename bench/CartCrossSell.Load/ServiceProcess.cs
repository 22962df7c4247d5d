using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;

namespace CartCrossSell.Load;

/// <summary>
/// One topology group as its own <c>cartxsell run</c> process, as an operator deploys it, so its resident memory is
/// its own. Its output goes to a log file; <c>/metrics</c> and <c>/health/ready</c> on its own port tell how far it got.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly StreamWriter _log;
    private bool _disposed;

    private ServiceProcess(string group, Process process, int metricsPort, StreamWriter log, string logPath)
    {
        Group = group;
        _process = process;
        MetricsPort = metricsPort;
        _log = log;
        LogPath = logPath;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Group { get; }
    public int MetricsPort { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    private const string StateDirectoryVariable = "CARTXSELL__Streams__StateDirectory";

    /// <summary>
    /// Where the services a benchmark starts keep their state unless it chose a directory itself: a folder inside the
    /// run's log folder, which <see cref="BenchEnvironment"/> deletes at the end.
    /// </summary>
    public static string StateRoot(string logDirectory) => Path.Combine(logDirectory, "service-state");

    /// <summary>Starts <c>dotnet cartxsell.dll run --topologies {group}</c> against the given broker and Redis.</summary>
    /// <param name="environment">Extra configuration as <c>CARTXSELL__Section__Key</c> variables.</param>
    public static ServiceProcess Start(string cliPath, string group, string bootstrapServers, string redis, string logDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? name = null)
    {
        var port = Redis.LocalRedisServer.FreeLoopbackPort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { cliPath, "run", "--topologies", group, "-b", bootstrapServers, "--redis", redis,
                     "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        // Without Streams:StateDirectory the service takes a temporary directory that it deletes only when it stops: a
        // killed one (bench-failover's kills, the SIGKILL after a stop that took too long) left /tmp/cartxsell-state-*
        // behind. A fresh directory of its own under the run's folder instead (fresh: it starts on empty state, as before).
        if (!psi.Environment.ContainsKey(StateDirectoryVariable))
            psi.Environment[StateDirectoryVariable] = Directory.CreateDirectory(
                Path.Combine(StateRoot(logDirectory), $"{name ?? group}-{Guid.NewGuid():N}")).FullName;
        var logPath = Path.Combine(logDirectory, $"{name ?? group}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {cliPath}");
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine(line);
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(group, process, port, log, logPath);
    }

    /// <summary>
    /// Waits until the topology group <paramref name="topology"/> runs: <c>/health/ready</c> (every task's stores restored)
    /// and <c>cartxsell_topology_state</c> 2 (Streamiz RUNNING: group joined, partitions assigned; Streamiz says so
    /// before the tasks have restored their stores, hence both).
    /// </summary>
    public async Task WaitUntilRunningAsync(string topology, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        await WaitUntilReadyAsync(timeout, ct);
        while (deadline.Elapsed < timeout)
        {
            // Streamiz groups report KafkaStream states: 2 is RUNNING (partitions assigned; the tasks may still restore: /health/ready waits for that).
            var state = (await ScrapeAsync(ct)).Sum("cartxsell_topology_state", ("topology", topology));
            if (state == 2) return;
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"{topology} was not running within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>Waits for <c>/health/ready</c>.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await IsReadyAsync(ct)) return;
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"{Group} was not ready within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>One ask of <c>/health/ready</c>: true on 200; false while not listening, not ready or slow to answer.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        if (_process.HasExited) throw new InvalidOperationException($"{Group} exited with code {_process.ExitCode}; see {LogPath}");
        try
        {
            using var response = await _http.GetAsync("health/ready", ct);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false; // a slow answer on a busy machine: ask again
        }
    }

    public async Task<MetricsSnapshot> ScrapeAsync(CancellationToken ct)
    {
        if (_process.HasExited) throw new InvalidOperationException($"{Group} exited with code {_process.ExitCode}; see {LogPath}");
        try
        {
            return MetricsSnapshot.Parse(await _http.GetStringAsync("metrics", ct));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return MetricsSnapshot.Empty; // one missed scrape on a busy machine; the caller polls again
        }
    }

    public ProcessMemory? Memory() => ProcessMemory.Read(_process.Id);

    /// <summary>Stops the process as an operator would (SIGTERM: the topologies commit and leave their groups).</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>Kills the process as a crash would (SIGKILL: no commit, no leave; the group notices after its session timeout).</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await StopAsync();
        _process.Dispose();
        _http.Dispose();
        await _log.DisposeAsync();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
