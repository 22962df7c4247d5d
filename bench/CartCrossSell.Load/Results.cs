namespace CartCrossSell.Load;

/// <summary>The recommender draining a pre-produced backlog of cart events.</summary>
/// <param name="Warmup">Events processed before the timed part (<see cref="Events"/> excludes them).</param>
/// <param name="Duration">The timed part; null when it was not measured (<see cref="NotMeasured"/>).</param>
public sealed record DrainResult(long Events, long Warmup, int Carts, TimeSpan? Duration, long DeadLettered, long ValuesWritten, ServiceTimings Service, string Cpu)
{
    public double? EventsPerSecond => NotMeasured.Rate(Events, Duration);
}

/// <summary>The learner (splitter and aggregator) consuming a backlog of completed orders.</summary>
/// <param name="SplitterDuration">Until the splitter had split every order; null when not measured (<see cref="NotMeasured"/>).</param>
/// <param name="Duration">Until the later of the aggregator's last change and the last row published to item-neighbors; null when not measured.</param>
public sealed record LearnerResult(int Orders, int Lines, TimeSpan? SplitterDuration, TimeSpan? Duration, long RowUpdates, ServiceTimings Splitter, ServiceTimings Aggregator, string Cpu)
{
    /// <summary>Rows the learner published to <c>item-neighbors</c> while the backlog was timed.</summary>
    public long RowsPublished { get; init; }

    public double? LinesPerSecond => NotMeasured.Rate(Lines, Duration);
    public double? SplitterLinesPerSecond => NotMeasured.Rate(Lines, SplitterDuration);
}

/// <summary>One fixed-rate phase: what was produced and how fresh the values were when readable.</summary>
public sealed record FreshnessResult(string Label, double Share, double TargetRate, TimeSpan CommitInterval, ProducerReport Producer,
    LatencyHistogram Latency, long Notified, long ServiceProcessed, ServiceTimings Service, long BehindAtEnd, TimeSpan CatchUp, string Cpu);

/// <summary>The outcomes group catching up on the backlog (cart events and orders) before the phases.</summary>
/// <param name="Duration">Until it had seen every backlog cart event and order; null when not measured (<see cref="NotMeasured"/>).</param>
public sealed record OutcomesResult(long CartEvents, int Orders, TimeSpan? Duration, ServiceTimings CartSplitter, ServiceTimings SessionOutcomes)
{
    public double? CartEventsPerSecond => NotMeasured.Rate(CartEvents, Duration);
}

/// <summary>
/// A backlog phase is timed from the last <c>/metrics</c> scrape that saw the group before the phase began. When the
/// first scrape that answered was already past that point there is no such look, and so no start: the phase is not
/// measured (a time from the Stopwatch's epoch, as a start of 0 gave, is an absurd rate, not a figure).
/// </summary>
public static class NotMeasured
{
    /// <summary>The time between a phase's start and <paramref name="end"/> (Stopwatch timestamps); null without a start.</summary>
    public static TimeSpan? Between(long? start, long end) => start is { } s ? System.Diagnostics.Stopwatch.GetElapsedTime(s, end) : null;

    public static double? Rate(long count, TimeSpan? duration) => duration is { } d ? count / Math.Max(d.TotalSeconds, 1e-9) : null;

    public static string Learner => "not measured: the first metrics scrape that answered already counted split orders (no look before the splitter's first order)";

    public static string Drain(long warmup) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"not measured: the first metrics scrape that answered already counted more than the {warmup:N0} warm-up events processed (no look before the timed part began)");

    public static string Outcomes => "not measured: the first metrics scrape that answered already counted processed cart events or orders (no look before the catch-up began)";
}

/// <summary>Resident memory of one process at the end of its part of the run.</summary>
public sealed record MemoryRow(string Process, ProcessMemory? Memory, string When);

/// <summary>Everything one run measured, with the conditions it ran under.</summary>
public sealed record RunResults
{
    public required DateTimeOffset StartedAt { get; init; }
    public required string Machine { get; init; }
    public required string LoadAverageAtStart { get; init; }
    public string LoadAverageAtEnd { get; set; } = "";
    public required string CommandLine { get; init; }
    public required LoadOptions Options { get; init; }
    public OrderBacklogReport? OrderBacklog { get; set; }
    /// <summary>The orders the learner learned before its backlog was timed (<see cref="LoadOptions.LearnerWarmupLines"/>); null without a warm-up.</summary>
    public OrderBacklogReport? LearnerWarmup { get; set; }
    /// <summary>Lines the learner has learned once its backlog is through, the warm-up included.</summary>
    public int LinesLearned => (OrderBacklog?.Lines ?? 0) + (LearnerWarmup?.Lines ?? 0);
    /// <summary>Baskets the carts were built from, and their mean number of lines (what the ranker scores per event).</summary>
    public int Baskets { get; set; }
    public double MeanBasketLines { get; set; }
    public LearnerResult? Learner { get; set; }
    public DrainResult? Drain { get; set; }

    /// <summary>The learned model in service during the drain and the phases (<c>--model</c>); null: the heuristic ranked.</summary>
    public string? ModelVersion { get; set; }

    /// <summary>What ranked the drained carts' values at the end of the drain: model version or strategy, with counts.</summary>
    public IReadOnlyDictionary<string, int>? DrainRankedBy { get; set; }
    public List<FreshnessResult> Freshness { get; } = [];
    public ReadReport? Reads { get; set; }
    public RedisBenchmarkResult? RedisBenchmark { get; set; }
    public OutcomesResult? Outcomes { get; set; }
    public List<MemoryRow> Memory { get; } = [];
    public long RedisResidentBytes { get; set; }
    public TimeSpan Elapsed { get; set; }
    public List<string> Notes { get; } = [];
}
