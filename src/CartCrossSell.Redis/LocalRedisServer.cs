using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CartCrossSell.Redis;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port with persistence off, for the embedded default
/// (<c>cartxsell run --embedded</c>, <c>make demo</c>) and the tests. The binary comes from the Debian package
/// <c>redis-server</c> (<c>scripts/ensure-redis.sh</c> installs it).
/// </summary>
public sealed class LocalRedisServer : IDisposable
{
    private readonly Process _process;

    private LocalRedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    public bool IsRunning => !_process.HasExited;

    public static LocalRedisServer Start(int? port = null, string executable = "redis-server")
    {
        var chosen = port ?? FreeLoopbackPort();
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", chosen.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning" })
            psi.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{executable}' was not found: install the Debian package redis-server (scripts/ensure-redis.sh does it)", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LocalRedisServer(process, chosen);
        server.WaitUntilListening(TimeSpan.FromSeconds(10));
        return server;
    }

    /// <summary>Stops the server (an outage, in tests); <see cref="Start"/> on the same port brings it back empty.</summary>
    public void Stop()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} before listening on port {Port}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(25);
            }
        }
        throw new TimeoutException($"redis-server did not listen on 127.0.0.1:{Port} within {timeout.TotalSeconds} s");
    }
}
