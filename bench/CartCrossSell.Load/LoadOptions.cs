namespace CartCrossSell.Load;

/// <summary>
/// Everything a run can vary. The defaults finish the whole run in about three and a half minutes on two cores (the
/// committed default runs took 2:54-3:47, the build before it not counted) and are the figures published in docs/benchmarks.md.
/// </summary>
public sealed record LoadOptions
{
    /// <summary>The Online Retail file: its orders feed the learner backlog, its baskets become carts.</summary>
    public required string OrdersPath { get; init; }

    /// <summary>Where the markdown results (and the service logs) go.</summary>
    public required string ResultsDirectory { get; init; }

    /// <summary>The cartxsell.dll the topology groups are started from (the Cli build output next to this program).</summary>
    public required string CliPath { get; init; }

    /// <summary>Cart events pre-produced for the drain (sustained throughput) measurement.</summary>
    public int BacklogEvents { get; init; } = 60_000;

    /// <summary>
    /// Cart events the recommender processes before the drain is timed, from the same backlog: a fresh process spends its
    /// first seconds of real work tiering its code up (the JIT took about a third of the recommender's CPU during an
    /// untimed drain), so the sustained rate is measured on warm code. 0 times from the first event.
    /// </summary>
    public int WarmupEvents { get; init; } = 30_000;

    /// <summary>
    /// The recommender's commit interval for the drain and the phases (<c>Streams:CommitInterval</c>); the layer's
    /// default unless <c>--commit-ms</c> says otherwise. The report names it in every row.
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = StreamsDefaults.CommitInterval;

    /// <summary>
    /// A <c>train-ranker</c> model put in service (on <c>ranking-models</c>) before the recommender starts, so the drain
    /// and the phases rank with the learned ranker as a store that trained one does; null ranks with the heuristic.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Carts in progress at once: events of this many carts are interleaved, as concurrent shoppers' are.</summary>
    public int ActiveCarts { get; init; } = 5_000;

    /// <summary>Baskets with more distinct products than this are not used as carts (wholesale invoices, not carts).</summary>
    public int MaxCartProducts { get; init; } = 20;

    /// <summary>Order lines in the learner backlog: the file's orders are repeated with fresh order ids until reached.</summary>
    public int LearnerLines { get; init; } = 600_000;

    /// <summary>
    /// Whether the outcomes group runs beside the recommender during the fixed-rate phases, as in a deployment of every
    /// group on one machine (the default). Without it the phases run the recommender, the embedded broker and
    /// redis-server only (with the idle learner), the setting issue 11's freshness target names; the report says which.
    /// </summary>
    public bool WithOutcomes { get; init; } = true;

    /// <summary>
    /// Order lines the learner learns before its backlog is timed (copies of the file published and learned first; the
    /// timed backlog is published once they are through, so none of it is learned cold). A fresh process spends the first seconds of real work compiling and tiering its code (the JIT's thread
    /// took 3.2-3.5 s of CPU during a cold 9-second backlog), so the learner, like the recommender's drain, is timed on
    /// warm code. 0 times a cold process, as before 2026-12-01.
    /// </summary>
    public int LearnerWarmupLines { get; init; } = 120_000;

    /// <summary>
    /// Stop after one phase (<c>--only learner</c>: the learner's backlog; <c>--only drain</c>: the recommender's drain
    /// too): one figure in a minute instead of the whole run. Null runs everything.
    /// </summary>
    public string? StopAfter { get; init; }

    /// <summary>Duration of each fixed-rate (open-loop) freshness phase.</summary>
    public TimeSpan PhaseDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Shares of the measured sustained rate the freshness phases run at: 50% and 90% are the targets' rows; 10% shows
    /// the pipeline's floor (commit interval, linger) away from saturation.
    /// </summary>
    public IReadOnlyList<double> LoadShares { get; init; } = [0.1, 0.5, 0.9];

    /// <summary>Fixed phase rates (events/s) instead of shares of the measured rate; empty uses <see cref="LoadShares"/>.</summary>
    public IReadOnlyList<int> FixedRates { get; init; } = [];

    /// <summary>Storefront readers (one connection each) during the phase whose share is nearest 50%.</summary>
    public int Readers { get; init; } = 50;

    /// <summary>Aggregate GET rate of the readers; 0 lets every reader issue its next GET as soon as the last returned.</summary>
    public int ReadRate { get; init; } = 5_000;

    /// <summary>Linger of the storefront producer (EventPublisher's default is 5 ms): part of the measured freshness.</summary>
    public int ProducerLingerMs { get; init; } = 5;

    /// <summary>Commit interval of an extra recommender instance for one more phase at the lowest rate; 0 skips it.</summary>
    public int ShortCommitMs { get; init; } = 20;

    /// <summary>Requests of the redis-benchmark comparison row (per command).</summary>
    public int RedisBenchmarkRequests { get; init; } = 200_000;

    /// <summary>Seed of the cart interleaving, so two runs publish the same event sequence.</summary>
    public int Seed { get; init; } = 42;
}
