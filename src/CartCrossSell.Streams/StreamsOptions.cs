namespace CartCrossSell.Streams;

/// <summary>How topologies run. Bound from the <c>Streams</c> configuration section.</summary>
public sealed class StreamsOptions
{
    public const string SectionName = "Streams";

    /// <summary>Prefix of consumer groups, changelog and repartition topics. Default <c>cartxsell</c>.</summary>
    public string ApplicationId { get; set; } = "cartxsell";

    /// <summary>Effects, changelogs and offsets are flushed at least this often while records flow. Default 100 ms.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>At most this many records are processed between two commits. Default 2,000.</summary>
    public int MaxBatchRecords { get; set; } = 2_000;

    /// <summary>Values larger than this go to dead letters instead of being parsed. Default 64 KiB.</summary>
    public int MaxRecordBytes { get; set; } = 64 * 1024;

    /// <summary>How long a consumer waits for records before it flushes what it has. Default 50 ms.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Session timeout of the consumer groups. Default 10 s, so a dead instance's partitions move quickly.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// At most this many kilobytes of records are fetched ahead of processing per consumer, so a burst far above the
    /// processing rate waits in Kafka, not in memory. Default 16,384 (16 MiB).
    /// </summary>
    public int MaxPrefetchKilobytes { get; set; } = 16 * 1024;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApplicationId) || !TopicNames.IsLegal(ApplicationId))
            throw new OptionsValidationException($"{SectionName}:ApplicationId '{ApplicationId}' must be a legal topic name prefix ([a-zA-Z0-9._-]+)");
        if (CommitInterval <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:CommitInterval must be positive");
        if (MaxBatchRecords < 1)
            throw new OptionsValidationException($"{SectionName}:MaxBatchRecords must be at least 1");
        if (MaxPrefetchKilobytes < 1024)
            throw new OptionsValidationException($"{SectionName}:MaxPrefetchKilobytes must be at least 1024");
        if (MaxRecordBytes < 1024)
            throw new OptionsValidationException($"{SectionName}:MaxRecordBytes must be at least 1024");
    }
}
