namespace CartCrossSell.Contracts;

/// <summary>
/// An input that could not be processed (schema <c>schemas/dead-letter.schema.json</c>): the reason, where it
/// came from, and the original bytes, so nothing is lost and it can be replayed once fixed.
/// </summary>
public sealed record DeadLetter
{
    public int SchemaVersion { get; set; } = 1;
    /// <summary>A <see cref="DeadLetterKinds"/> value: what class of problem this is.</summary>
    public required string Kind { get; init; }
    public required string Reason { get; init; }
    public required string SourceTopic { get; init; }
    public required int SourcePartition { get; init; }
    public required long SourceOffset { get; init; }
    public DateTimeOffset? SourceTimestamp { get; init; }
    public string? Key { get; init; }
    /// <summary>The original value, as UTF-8 text when it is valid UTF-8, otherwise base64.</summary>
    public string? Payload { get; init; }
    public string PayloadEncoding { get; set; } = "utf8";
    /// <summary>
    /// True when <see cref="Payload"/> holds only the start of the original value: the whole envelope would have been
    /// larger than the producer accepts. The source coordinates fetch the original while the topic retains it.
    /// </summary>
    public bool? PayloadTruncated { get; init; }
    /// <summary>Size of the original value in bytes (set when the payload is truncated).</summary>
    public long? PayloadBytes { get; init; }
    /// <summary>SHA-256 of the original value, lower-case hex (set when the payload is truncated).</summary>
    public string? PayloadSha256 { get; init; }
    /// <summary>The consumer group (topology) that rejected it.</summary>
    public required string Processor { get; init; }
    public required DateTimeOffset DeadLetteredAt { get; init; }
}

public static class DeadLetterKinds
{
    public const string Unparseable = "unparseable";
    public const string Invalid = "invalid";
    public const string UnknownSku = "unknown-sku";
    public const string Oversized = "oversized";
    public const string CartTooLarge = "cart-too-large";
    /// <summary>The processor threw on this record; the record is kept so the bug can be reproduced.</summary>
    public const string ProcessingError = "processing-error";
    /// <summary>The event's time is further in the future than the allowed skew, or older than the allowed age.</summary>
    public const string ImplausibleTime = "implausible-time";
    /// <summary>The record's Kafka key is not the id the topic is keyed by (cart id, order id).</summary>
    public const string KeyMismatch = "key-mismatch";
    /// <summary>A cart line in another currency than the cart's.</summary>
    public const string CurrencyMismatch = "currency-mismatch";
}
