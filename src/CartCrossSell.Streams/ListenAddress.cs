using System.Net;
using System.Net.Sockets;

namespace CartCrossSell.Streams;

/// <summary>
/// The host an HTTP endpoint of the service listens on: <c>*</c> (every interface), <c>localhost</c> or an IP address
/// without brackets or port. Kestrel binds any other name to every interface, so a typo or a host name would silently
/// expose the endpoint: such a value is refused at start instead.
/// </summary>
public static class ListenAddress
{
    /// <summary>Refuses a host that is not <c>*</c>, <c>localhost</c> or a bare IP address, naming <paramref name="key"/>.</summary>
    public static void Validate(string? host, string key)
    {
        if (string.IsNullOrWhiteSpace(host)) throw new OptionsValidationException($"{key} must not be empty (use * for every interface)");
        if (host == "*" || IsLocalhost(host) || (!host.Contains('[') && IPAddress.TryParse(host, out var ip) && !HasPort(host, ip))) return;
        throw new OptionsValidationException($"{key} '{host}' must be *, localhost or an IP address without brackets or port (a host name would listen on every interface)");
    }

    /// <summary>Whether a validated host is <c>localhost</c> (Kestrel cannot pick a free port there: port 0 needs an IP address or *).</summary>
    public static bool IsLocalhost(string host) => host.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    // IPAddress.TryParse reads "1.2.3.4:80" as an address and drops the port.
    private static bool HasPort(string host, IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetwork && host.Contains(':');

    /// <summary>The URL Kestrel listens on for a validated host and a port.</summary>
    public static string Url(string host, int port)
    {
        if (host == "*") return $"http://0.0.0.0:{port}";
        if (IsLocalhost(host)) return $"http://localhost:{port}";
        var ip = IPAddress.Parse(host);
        return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"http://[{ip}]:{port}" : $"http://{ip}:{port}";
    }
}
