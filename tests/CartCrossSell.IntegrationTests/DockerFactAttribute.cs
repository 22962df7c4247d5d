using System.Net.Sockets;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// A test that needs a Docker engine (Testcontainers). Where none answers, the test is skipped and says why,
/// instead of failing or being faked; where one does (a developer laptop, a CI runner with Docker), it runs.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public DockerFactAttribute()
    {
        if (Unavailable.Value is { } reason) Skip = reason;
    }

    private static string? Probe()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host) && !host.StartsWith("unix://", StringComparison.Ordinal))
            return null; // a remote engine: let Testcontainers try it
        var socket = string.IsNullOrEmpty(host) ? "/var/run/docker.sock" : host["unix://".Length..];
        if (!File.Exists(socket)) return $"no Docker engine: {socket} does not exist (Testcontainers needs one; the mock-cluster tests cover this path)";
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(socket));
            s.Send("GET /_ping HTTP/1.0\r\n\r\n"u8);
            var buffer = new byte[64];
            var n = s.Receive(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).Contains("200") ? null : $"the Docker engine at {socket} does not answer /_ping";
        }
        catch (SocketException e)
        {
            return $"no Docker engine answers at {socket}: {e.Message}";
        }
    }
}
