namespace CartCrossSell.Redis;

/// <summary>Where and how cart recommendations are stored. Bound from the <c>Redis</c> configuration section.</summary>
public sealed class RedisStoreOptions
{
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>. Required.</summary>
    public string Configuration { get; set; } = "";

    /// <summary>Key prefix; the key of a cart is <c>{KeyPrefix}{cartId}</c>. Default <c>xsell:v1:cart:</c>.</summary>
    public string KeyPrefix { get; set; } = "xsell:v1:cart:";

    /// <summary>How long a cart's value lives after its last write. Default 7 days (a cart left longer is cold).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How many times a failed batch write is retried before the flush gives up and the topology stops. Default 8.</summary>
    public int MaxRetries { get; set; } = 8;

    /// <summary>First retry delay; doubles per attempt up to <see cref="MaxBackoff"/>. Default 100 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A batch write that has not completed after this long is abandoned and retried. Commands issued while the
    /// connection is down can otherwise wait in the client's backlog indefinitely. Default 5 s.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// At most this many carts wait for their Redis write; beyond it the recommender waits (backpressure) rather than
    /// holding an outage's worth of values in memory. Default 2,000.
    /// </summary>
    public int MaxPendingWrites { get; set; } = 2_000;

    /// <summary>
    /// How long the writer lets a batch of fewer than 32 values grow before it writes it (0: at once). One round trip
    /// per value cost the recommender's thread CPU it needed on two cores. A commit that waits for its values cuts the
    /// wait short, so only the storefront's view of a value waits this long, never a commit. Default 2 ms, at most a
    /// minute (a longer wait would only hold values back; a timer has a limit, too).
    /// </summary>
    public TimeSpan WriteCoalesce { get; set; } = TimeSpan.FromMilliseconds(2);

    public void Validate()
    {
        if (MaxPendingWrites < 1)
            throw new ArgumentException($"{SectionName}:MaxPendingWrites must be at least 1");
        if (string.IsNullOrWhiteSpace(Configuration))
            throw new ArgumentException($"{SectionName}:Configuration is required (for example localhost:6379)");
        if (string.IsNullOrEmpty(KeyPrefix))
            throw new ArgumentException($"{SectionName}:KeyPrefix must not be empty");
        if (Ttl <= TimeSpan.Zero)
            throw new ArgumentException($"{SectionName}:Ttl must be positive");
        if (WriteTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{SectionName}:WriteTimeout must be positive");
        if (WriteCoalesce < TimeSpan.Zero || WriteCoalesce > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"{SectionName}:WriteCoalesce must be between 0 and 1 minute");
        if (MaxRetries < 0)
            throw new ArgumentException($"{SectionName}:MaxRetries must not be negative");
    }
}
