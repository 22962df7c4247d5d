using CartCrossSell.Streams.Processing;

namespace CartCrossSell.Streams;

/// <summary>What a topology guarantees on a crash: see the README's guarantees.</summary>
public enum ProcessingGuarantee
{
    /// <summary>Default: records may be processed again after a crash; the project's idempotence makes that harmless.</summary>
    AtLeastOnce,

    /// <summary>Kafka transactions (exactly_once_v2). Only on a real broker: the embedded mock cluster does not support them.</summary>
    ExactlyOnce,
}

/// <summary>How a consumer group moves partitions when a member joins or leaves (<c>Streams:Rebalancing</c>).</summary>
public enum Rebalancing
{
    /// <summary>
    /// Kafka's eager protocol (range assignor): on every rebalance every member revokes all its partitions, closes their
    /// tasks and opens them again once the group has agreed, so every partition of the group pauses.
    /// </summary>
    Eager,

    /// <summary>
    /// Incremental cooperative rebalancing (cooperative-sticky assignor): only the partitions that change owner are
    /// revoked and assigned. Meant to let a member keep processing the partitions it keeps, but on Streamiz 1.8.2 its
    /// commit refused during the rebalance closes every task all the same (measured: no shorter pause, README).
    /// </summary>
    Cooperative,
}

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

    public const int DefaultMaxDeadLetterBytes = 1_000_000;
    public static readonly TimeSpan DefaultMaxFutureSkew = TimeSpan.FromHours(1);

    /// <summary>
    /// The largest record (key, value and framing) the service's producer sends: librdkafka's <c>message.max.bytes</c>,
    /// default 1,000,000, under a broker's default 1 MiB. A dead letter whose envelope would be larger carries the start
    /// of the original value with its size and SHA-256. Set it to the smaller of the producer's and the
    /// <c>dead-letters</c> topic's <c>max.message.bytes</c> when those are changed.
    /// </summary>
    public int MaxDeadLetterBytes { get; set; } = DefaultMaxDeadLetterBytes;

    public const int DefaultMaxStateRecordBytes = 512 * 1024;

    /// <summary>
    /// The largest state record a processor writes, encoded: a cart (store <c>carts</c>), a session's log (store
    /// <c>session-windows</c>). Every write also goes to the store's changelog, and a record the producer refuses there
    /// stops the stream thread; the restart replays the same input to the same refusal. So an event that would take a
    /// record above this is dead-lettered before anything is written. Default 512 KiB: about half of what the producer sends
    /// (1,000,000), so the key, the framing and what other events may add (a cart's remembered event ids) stay under it,
    /// far above any shopper's cart or session. At most 960 KiB.
    /// </summary>
    public int MaxStateRecordBytes { get; set; } = DefaultMaxStateRecordBytes;

    /// <summary>
    /// An event whose own time is further ahead of the clock than this is dead-lettered as <c>implausible-time</c>
    /// (a storefront clock or a script that is wrong). Default 1 hour.
    /// </summary>
    public TimeSpan MaxFutureSkew { get; set; } = DefaultMaxFutureSkew;

    /// <summary>
    /// How long a stream thread collects records before it processes them (Streamiz's <c>poll.ms</c>; the outcomes
    /// layer's consume timeout). Every record waits up to this long at low rates: measured with <c>make bench-e2e</c>,
    /// 50 ms gave a freshness p50 of 87 ms at 10 % load, 5 ms gave 30 ms. Default 5 ms.
    /// </summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Session timeout of the consumer groups. Default 10 s, so a dead instance's partitions move quickly.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a group's close (commits, store flushes, checkpoints, leaving the group) may take before the instance
    /// gives up waiting for it and goes on shutting down. Why: librdkafka's consumer close can hang in its rebalance
    /// callback (<c>rd_kafka_assign</c> never returns; confluentinc/librdkafka#4884, seen here with two stream threads
    /// of one group closing together), and a close that never ends would hold the process past its supervisor's grace
    /// period and hang a test run. What a close left undone is at-least-once's to redo: the next owner replays from the
    /// last committed offsets and the changelogs. Default 30 s, inside the 50 s a <c>cartxsell</c> process gives its
    /// command after SIGTERM before it exits anyway.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How the groups rebalance (README, guarantees and limits). Every instance of a group must use the same protocol:
    /// to change it, stop every instance of the group first (a member of the other protocol cannot join).
    /// </summary>
    public Rebalancing Rebalancing { get; set; } = Rebalancing.Eager;

    /// <summary>
    /// At most this many kilobytes of records are fetched ahead of processing per consumer, so a burst far above the
    /// processing rate waits in Kafka, not in memory. Default 16,384 (16 MiB).
    /// </summary>
    public int MaxPrefetchKilobytes { get; set; } = 16 * 1024;

    /// <summary>Stream threads per topology group in this instance; tasks (input partitions) are spread over them. Default 1.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>
    /// Where RocksDB state and checkpoints live, one folder per application and task. In production a persistent
    /// volume, so a restart restores only the changelog tail (two instances on one machine need two directories).
    /// Unset (the default), each process uses a fresh temporary directory and deletes it when it stops: always
    /// correct (state is rebuilt from the changelogs) but every start restores everything. The embedded cluster lives
    /// only as long as its process, so its runs must not keep state either.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>RocksDB (default) or in-memory stores.</summary>
    public StateStoreKind StateStore { get; set; } = StateStoreKind.RocksDb;

    /// <summary>Record cache per cached store and task, flushed at every commit. Default 16 MiB.</summary>
    public int StoreCacheMegabytes { get; set; } = 16;

    /// <summary>One RocksDB block cache per topology group (per KafkaStream), shared by that group's stores. Default 64 MiB.</summary>
    public int RocksDbBlockCacheMegabytes { get; set; } = 64;

    /// <summary>RocksDB memtable size per store partition (at most two are held). Default 8 MiB.</summary>
    public int RocksDbWriteBufferMegabytes { get; set; } = 8;

    /// <summary>At-least-once (default, with the project's idempotence) or exactly-once on a real broker.</summary>
    public ProcessingGuarantee Guarantee { get; set; } = ProcessingGuarantee.AtLeastOnce;

    public void Validate()
    {
        if (Threads is < 1 or > 64)
            throw new OptionsValidationException($"{SectionName}:Threads must be between 1 and 64");
        if (StateDirectory is not null && string.IsNullOrWhiteSpace(StateDirectory))
            throw new OptionsValidationException($"{SectionName}:StateDirectory must not be blank (leave it unset for a temporary directory)");
        if (StoreCacheMegabytes < 0)
            throw new OptionsValidationException($"{SectionName}:StoreCacheMegabytes must not be negative");
        if (RocksDbBlockCacheMegabytes < 1 || RocksDbWriteBufferMegabytes < 1)
            throw new OptionsValidationException($"{SectionName}:RocksDbBlockCacheMegabytes and RocksDbWriteBufferMegabytes must be at least 1");
        if (string.IsNullOrWhiteSpace(ApplicationId) || !TopicNames.IsLegal(ApplicationId))
            throw new OptionsValidationException($"{SectionName}:ApplicationId '{ApplicationId}' must be a legal topic name prefix ([a-zA-Z0-9._-]+)");
        if (CommitInterval <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:CommitInterval must be positive");
        if (PollTimeout <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:PollTimeout must be positive");
        if (CloseTimeout <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:CloseTimeout must be positive");
        if (MaxBatchRecords < 1)
            throw new OptionsValidationException($"{SectionName}:MaxBatchRecords must be at least 1");
        if (MaxPrefetchKilobytes < 1024)
            throw new OptionsValidationException($"{SectionName}:MaxPrefetchKilobytes must be at least 1024");
        if (MaxRecordBytes < 1024)
            throw new OptionsValidationException($"{SectionName}:MaxRecordBytes must be at least 1024");
        if (MaxDeadLetterBytes < 16 * 1024)
            throw new OptionsValidationException($"{SectionName}:MaxDeadLetterBytes must be at least 16384");
        if (MaxStateRecordBytes is < 16 * 1024 or > 960 * 1024)
            throw new OptionsValidationException($"{SectionName}:MaxStateRecordBytes must be between 16384 and 983040 (the changelog's producer sends at most 1,000,000 bytes with the key and framing)");
        if (MaxFutureSkew < TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:MaxFutureSkew must not be negative");
        if (!Enum.IsDefined(Rebalancing))
            throw new OptionsValidationException($"{SectionName}:Rebalancing must be {nameof(Rebalancing.Eager)} or {nameof(Rebalancing.Cooperative)}");
    }
}
