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
        // A port chosen here can still be taken by another process before redis-server binds it: then it exits, and
        // another port is tried. A port the caller names is tried once.
        for (var attempt = 1; ; attempt++)
        {
            var chosen = port ?? FreeLoopbackPort();
            try
            {
                return StartOn(chosen, executable);
            }
            catch (PortTakenException) when (port is null && attempt < 5)
            {
            }
        }
    }

    private static LocalRedisServer StartOn(int port, string executable)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
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
        var server = new LocalRedisServer(process, port);
        try
        {
            server.WaitUntilListening(TimeSpan.FromSeconds(10));
        }
        catch
        {
            server.Dispose();
            throw;
        }
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

    /// <summary>
    /// A free loopback port for a server, below the kernel's ephemeral port range where the kernel can tell it.
    /// </summary>
    /// <remarks>
    /// Why below: the kernel gives outgoing connections their local port from the ephemeral range. A server on such a
    /// port that stops for a while (a Redis outage in a test, a restarted web host) can find its port held by another
    /// process's client socket, or by a client of its own that reconnected to the closed port and, the source port
    /// happening to equal the destination, connected to itself; it then cannot bind it again. No outgoing connection
    /// ever gets a port below the range. Where the range cannot be read (not Linux), the kernel picks one as before.
    /// </remarks>
    public static int FreeLoopbackPort()
    {
        if (EphemeralPortRange() is { Low: > LowestServerPort + 1_000 } range)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var candidate = Random.Shared.Next(LowestServerPort, range.Low);
                if (IsFree(candidate)) return candidate;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Where <see cref="FreeLoopbackPort"/> starts looking: above the ports local servers are usually configured on.</summary>
    public const int LowestServerPort = 10_000;

    /// <summary>The kernel's range of ports for outgoing connections (Linux), or null where it cannot be read.</summary>
    public static (int Low, int High)? EphemeralPortRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 2 && int.TryParse(parts[0], out var low) && int.TryParse(parts[1], out var high) && low <= high
                ? (low, high)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private bool AnswersPing()
    {
        try
        {
            using var client = new TcpClient { ReceiveTimeout = 500, SendTimeout = 500 };
            client.Connect(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var answer = new byte[7]; // "+PONG\r\n"
            var read = 0;
            while (read < answer.Length)
            {
                var n = stream.Read(answer, read, answer.Length - read);
                if (n == 0) return false;
                read += n;
            }
            return answer.AsSpan().SequenceEqual("+PONG\r\n"u8);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new PortTakenException($"redis-server exited with code {_process.ExitCode} before listening on port {Port} (is the port taken?)");
            // A PING, not a bare connect: whatever else listens on the port (the process that took it) accepts
            // connections too, but only this server answers +PONG.
            if (AnswersPing()) return;
            Thread.Sleep(25);
        }
        throw new TimeoutException($"redis-server did not answer PING on 127.0.0.1:{Port} within {timeout.TotalSeconds} s");
    }
}

/// <summary>redis-server exited before it listened: most often, its port was taken.</summary>
internal sealed class PortTakenException(string message) : InvalidOperationException(message);
