using System.Net;

namespace CartCrossSell.Streams;

/// <summary>
/// The host an HTTP endpoint of the service listens on: <c>*</c> (every interface), <c>localhost</c> or an IP address.
/// Kestrel binds any other name to every interface, so a typo or a host name would silently expose the endpoint: such
/// a value is refused at start instead.
/// </summary>
public static class ListenAddress
{
    /// <summary>Refuses a host that is not <c>*</c>, <c>localhost</c> or an IP address, naming <paramref name="key"/>.</summary>
    public static void Validate(string? host, string key)
    {
        if (string.IsNullOrWhiteSpace(host)) throw new OptionsValidationException($"{key} must not be empty (use * for every interface)");
        if (host is "*" or "localhost" || IPAddress.TryParse(host, out _)) return;
        throw new OptionsValidationException($"{key} '{host}' must be *, localhost or an IP address (a host name would listen on every interface)");
    }

    /// <summary>The URL Kestrel listens on for a validated host and a port.</summary>
    public static string Url(string host, int port)
    {
        var address = host == "*" ? "0.0.0.0" : host;
        return $"http://{(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address)}:{port}";
    }
}
