namespace CartCrossSell.Load;

/// <summary>The recommender draining a pre-produced backlog of cart events.</summary>
/// <param name="Warmup">Events processed before the timed part (<see cref="Events"/> excludes them).</param>
public sealed record DrainResult(long Events, long Warmup, int Carts, TimeSpan Duration, long DeadLettered, long ValuesWritten, ServiceTimings Service, string Cpu)
{
    public double EventsPerSecond => Events / Math.Max(Duration.TotalSeconds, 1e-9);
}

/// <summary>The learner (splitter and aggregator) consuming a backlog of completed orders.</summary>
public sealed record LearnerResult(int Orders, int Lines, TimeSpan SplitterDuration, TimeSpan Duration, long RowUpdates, ServiceTimings Splitter, ServiceTimings Aggregator, string Cpu)
{
    public double LinesPerSecond => Lines / Math.Max(Duration.TotalSeconds, 1e-9);
    public double SplitterLinesPerSecond => Lines / Math.Max(SplitterDuration.TotalSeconds, 1e-9);
}

/// <summary>One fixed-rate phase: what was produced and how fresh the values were when readable.</summary>
public sealed record FreshnessResult(string Label, double Share, double TargetRate, TimeSpan CommitInterval, ProducerReport Producer,
    LatencyHistogram Latency, long Notified, long ServiceProcessed, ServiceTimings Service, long BehindAtEnd, TimeSpan CatchUp, string Cpu);

/// <summary>The outcomes group catching up on the backlog (cart events and orders) before the phases.</summary>
public sealed record OutcomesResult(long CartEvents, int Orders, TimeSpan Duration, ServiceTimings CartSplitter, ServiceTimings SessionOutcomes)
{
    public double CartEventsPerSecond => CartEvents / Math.Max(Duration.TotalSeconds, 1e-9);
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
