using CartCrossSell.Redis;
using CartCrossSell.Streams;

namespace CartCrossSell.Web;

/// <summary>Where <c>cartxsell serve</c> listens and what it serves. Bound from the <c>Web</c> section.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>Interface to listen on: an address, or <c>*</c> for every interface. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Port; 0 picks a free one (tests). Default 8080.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Request bodies larger than this are refused with 413. Default 16 KiB (an add or an impression is a few hundred bytes).</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024;

    /// <summary>Serve the demo shop (<c>/shop</c>). Default true; a production storefront has its own and turns it off.</summary>
    public bool Shop { get; set; } = true;

    /// <summary>
    /// Storefront origins (<c>https://shop.example.com</c>) whose pages may call <c>/v1</c> from the browser (the widget
    /// on another origin than this host): CORS for GET and POST with <c>Content-Type</c> and <c>If-None-Match</c>, the
    /// <c>ETag</c> exposed. <c>*</c> allows any origin. Default none: same origin only.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Run each request on the socket's I/O thread instead of queueing it to the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>): one hop less per request. Safe here only because every endpoint awaits its
    /// I/O (Redis, Kafka) and blocks nothing; a blocking endpoint would stall every connection of that I/O thread.
    /// Default false; its effect on this machine is in docs/benchmarks.md ("The web host's extra hop").
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>Confidence level of the dashboard's cumulative intervals (the per-window ones come from aov-aggregates). Default 0.95.</summary>
    public double ConfidenceLevel { get; set; } = 0.95;

    public void Validate()
    {
        ListenAddress.Validate(Host, $"{SectionName}:Host");
        if (Port == 0 && ListenAddress.IsLocalhost(Host))
            throw new OptionsValidationException($"{SectionName}:Port 0 (a free port) needs {SectionName}:Host to be an IP address or *, not localhost");
        if (Port is < 0 or > 65535) throw new OptionsValidationException($"{SectionName}:Port must be between 0 and 65535, was {Port}");
        if (MaxRequestBytes < 1024) throw new OptionsValidationException($"{SectionName}:MaxRequestBytes must be at least 1024, was {MaxRequestBytes}");
        foreach (var origin in AllowedOrigins)
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && !origin.EndsWith('/')))
                throw new OptionsValidationException($"{SectionName}:AllowedOrigins entry '{origin}' is not an origin such as https://shop.example.com (or *)");
        if (!(ConfidenceLevel is > 0.5 and < 1)) throw new OptionsValidationException($"{SectionName}:ConfidenceLevel must lie between 0.5 and 1, was {ConfidenceLevel}");
    }
}

/// <summary>Everything the web host needs: Kafka (publish, read aov-aggregates and the catalog), Redis (read values), the web section.</summary>
public sealed class WebServiceOptions
{
    public KafkaOptions Kafka { get; set; } = new();
    public RedisStoreOptions Redis { get; set; } = new();
    public WebOptions Web { get; set; } = new();

    /// <summary>Throws <see cref="OptionsValidationException"/> naming the key.</summary>
    public void Validate()
    {
        Kafka.Validate();
        try
        {
            Redis.Validate();
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException(e.Message);
        }
        try
        {
            StackExchange.Redis.ConfigurationOptions.Parse(Redis.Configuration);
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException($"{RedisStoreOptions.SectionName}:Configuration: {e.Message}");
        }
        Web.Validate();
    }
}
