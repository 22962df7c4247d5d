using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Learning;

/// <summary>How the streaming learner publishes. Bound from the <c>Learner</c> section.</summary>
public sealed class LearnerOptions
{
    public const string SectionName = "Learner";

    /// <summary>
    /// A changed row is published to <c>item-neighbors</c> at most once per this interval, so a hot item is not
    /// republished on every order. Default 1 s; zero publishes at the learner's <see cref="CommitInterval"/>. Changes in
    /// between are merged into the next publication.
    /// </summary>
    public TimeSpan RowPublishInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the learner commits (its own <c>Streams:CommitInterval</c>). Default 1 s, the publication interval:
    /// committing more often makes nothing visible sooner, and every commit encodes and logs each row changed since the
    /// last one (a hot row touched by a hundred orders a second is written once instead of ten times). After a crash
    /// at most this much input is processed again, which the rows' applied offsets make harmless.
    /// </summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The learner's stream threads (its own <c>Streams:Threads</c>). Default 2: the splitter's and the aggregator's
    /// tasks are joined by a repartition topic, and on one thread they take turns, so a backlog of orders is split
    /// first and aggregated after, on one core. On two threads both cores work: a backlog of 618,156 order lines went
    /// through at 55,000-62,000 lines/s against 45,000-46,000 on one (<c>make bench-e2e ARGS="--only learner"</c>,
    /// docs/benchmarks.md). Orders are a small share of a store's events, so outside a backlog the second thread
    /// mostly waits on its poll.
    /// </summary>
    public int Threads { get; set; } = 2;

    /// <summary>
    /// An order older than this (by its own timestamp, against the clock) is dead-lettered as <c>implausible-time</c>.
    /// Default 10 years: history older than that weighs nothing under any useful half-life (backfill history with
    /// <c>--rebase-to-now</c>).
    /// </summary>
    public TimeSpan MaxOrderAge { get; set; } = TimeSpan.FromDays(3653);

    /// <summary>
    /// How long the basket splitter remembers an order id (store <c>order-ids</c>, changelogged): the same order id
    /// again within this time is a duplicate and is not learned again. Default 30 days. Older ids are forgotten by a
    /// sweep every <see cref="OrderIdSweepInterval"/>; the store holds about 60 bytes per order of the window.
    /// </summary>
    public TimeSpan OrderIdRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the splitter forgets order ids older than <see cref="OrderIdRetention"/>. Default 1 hour.</summary>
    public TimeSpan OrderIdSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// What the rows kept decoded between commits may hold together, in pairs, per task (the <c>basket-rows</c> store
    /// holds every row in RocksDB). A row touched by many orders is then decoded once, and encoded once per commit,
    /// where encoding a row of hundreds of pairs at every contribution was the aggregator's largest cost. Default
    /// 250,000: a decoded pair takes about 90 bytes, so some 22 MB per task; the rows a commit interval changes are
    /// held on top until the commit. Bounded by pairs, not rows: 20,000 rows per task of a 200,000-sku store with
    /// 100 neighbours each held 1.1-1.4 GB (<c>make bench-rows</c>, docs/benchmarks.md).
    /// </summary>
    public long CachedRowPairs { get; set; } = 250_000;

    /// <summary>
    /// After a start, each task publishes every row it holds once (a change applied before a crash but not yet
    /// published is not lost), this many rows per publication period, so the stream thread keeps processing and
    /// polling meanwhile. Default 2,000: 1,000,000 rows on four tasks took 137 s where one punctuation over them all
    /// took about 60 s, so the walk leaves the thread about half of each period (<c>make bench-rows</c>).
    /// </summary>
    public int RepublishRowsPerInterval { get; set; } = 2_000;

    public void Validate()
    {
        if (MaxOrderAge <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:MaxOrderAge must be positive");
        if (OrderIdRetention <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:OrderIdRetention must be positive");
        if (OrderIdSweepInterval <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:OrderIdSweepInterval must be positive");
        if (Threads is < 1 or > 64) throw new OptionsValidationException($"{SectionName}:Threads must be between 1 and 64");
        if (CommitInterval <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:CommitInterval must be positive");
        if (RepublishRowsPerInterval < 1) throw new OptionsValidationException($"{SectionName}:RepublishRowsPerInterval must be positive");
        if (CachedRowPairs < 2) throw new OptionsValidationException($"{SectionName}:CachedRowPairs must be at least 2");
        if (RowPublishInterval < TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:RowPublishInterval must not be negative");
    }
}
