using CartCrossSell.Engine;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Merchandising;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;
using CartCrossSell.Topologies.Training;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CartCrossSell.Topologies.Hosting;

/// <summary>Everything one service instance needs to know, validated before anything starts.</summary>
public sealed class CrossSellServiceOptions
{
    public KafkaOptions Kafka { get; set; } = new();
    public StreamsOptions Streams { get; set; } = new();
    public RedisStoreOptions Redis { get; set; } = new();
    public LearningOptions Learning { get; set; } = new();
    public LearnerOptions Learner { get; set; } = new();
    public RecommenderOptions Recommender { get; set; } = new();
    public MonitoringOptions Monitoring { get; set; } = new();
    public ExperimentOptions Experiment { get; set; } = new();
    public RankerTrainerStreamOptions RankerTrainer { get; set; } = new();

    /// <summary>Which topology groups this instance runs (<see cref="TopologyNames.Selectable"/>); default <see cref="TopologyNames.Default"/>.</summary>
    public IReadOnlyList<string> Topologies { get; set; } = TopologyNames.Default;

    public void Validate()
    {
        Kafka.Validate();
        Streams.Validate();
        Recommender.Validate();
        if (Topologies.Count == 0)
            throw new OptionsValidationException($"choose at least one topology: {string.Join(", ", TopologyNames.Selectable)}");
        foreach (var t in Topologies)
            if (!TopologyNames.Selectable.Contains(t))
                throw new OptionsValidationException($"unknown topology '{t}': choose from {string.Join(", ", TopologyNames.Selectable)}");
        if (Topologies.Contains(TopologyNames.Recommender))
        {
            try
            {
                Redis.Validate();
            }
            catch (ArgumentException e)
            {
                throw new OptionsValidationException(e.Message);
            }
        }
        if (Learning.MaxNeighbors < 1) throw new OptionsValidationException("Learning:MaxNeighbors must be at least 1");
        Learner.Validate();
        Monitoring.Validate();
        Experiment.Validate();
        RankerTrainer.Validate();
        if (Learning.HalfLife <= TimeSpan.Zero) throw new OptionsValidationException("Learning:HalfLife must be positive");
        ValidateDecayWindow(TimeProvider.System.GetUtcNow());
    }

    /// <summary>
    /// The learner weighs an order exactly only within the decay clock's window (<see cref="DecayClock.ExactFrom"/> to
    /// <see cref="DecayClock.ExactUntil"/>); every order it accepts (no older than Learner:MaxOrderAge, no further ahead
    /// than Streams:MaxFutureSkew), and ten more years of them, must fall inside it.
    /// </summary>
    public void ValidateDecayWindow(DateTimeOffset now)
    {
        var clock = new DecayClock(Learning.HalfLife, Learning.Landmark);
        var horizon = now.AddYears(10) + Streams.MaxFutureSkew;
        if (clock.ExactUntil < horizon || clock.ExactFrom > now - Learner.MaxOrderAge)
            throw new OptionsValidationException(
                $"Learning:HalfLife {Learning.HalfLife} with Learning:Landmark {clock.Landmark:O} weighs orders exactly only from {clock.ExactFrom:O} " +
                $"until {clock.ExactUntil:O}; it must cover {now - Learner.MaxOrderAge:O} (Learner:MaxOrderAge) to {horizon:O}: " +
                "move Learning:Landmark closer to now (and relearn), lengthen the half-life or shorten Learner:MaxOrderAge");
    }
}

/// <summary>
/// One instance of the service: the replicated tables, and the topologies chosen for it, each in its own consumer
/// group so they scale separately. The hosts (<c>cartxsell run</c>, the demo, the tests) only compose this.
/// </summary>
public sealed class CrossSellService : IAsyncDisposable
{
    private readonly CrossSellServiceOptions _options;
    private readonly ILoggerFactory _loggers;
    // Replaced, never changed in place: probes read it from other threads while a host starts its groups one by one.
    private volatile StreamApplication[] _applications = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _clock;
    private ConnectionMultiplexer? _redis;

    /// <param name="clock">The outcomes topologies' wall clock (stream time of quiet partitions, computedAt); default the system clock.</param>
    public CrossSellService(CrossSellServiceOptions options, ILoggerFactory loggers, TimeProvider? clock = null)
    {
        options.Validate();
        _options = options;
        _loggers = loggers;
        _clock = clock ?? TimeProvider.System;
        Groups = GroupsOf(options);
        Catalog = new CatalogTable(loggers);
        Neighbors = new NeighborTable(loggers);
        Models = new ModelTable(options.Recommender.Ranking, loggers, options.Learning);
        Rules = new MerchandisingRulesTable(options.Kafka, loggers);
        Metrics = Prometheus.Metrics.NewCustomRegistry();
        _streamsMetrics = new StreamsMetrics(Metrics);
        TrainerMetrics = new RankerTrainerMetrics(Metrics);
        Models.ExportTo(Metrics);
    }

    /// <summary>The in-stream trainer's outcomes (counted whether or not this instance runs the trainer).</summary>
    public RankerTrainerMetrics TrainerMetrics { get; }

    private readonly StreamsMetrics _streamsMetrics;

    /// <summary>Processing metrics of this instance (records processed and dead-lettered per topology).</summary>
    public StreamsMetrics StreamsMetrics => _streamsMetrics;

    /// <summary>This instance's Prometheus registry (served by <c>cartxsell run</c> on <c>/metrics</c>).</summary>
    public Prometheus.CollectorRegistry Metrics { get; }

    /// <summary>False once any topology failed: the process should be restarted.</summary>
    public bool IsLive => _applications.All(a => !a.Completion.IsFaulted);

    /// <summary>The catalog as the recommender sees it (or the learner, when it runs alone): a global store of that group.</summary>
    public CatalogTable Catalog { get; }

    /// <summary>The learned rows as the recommender sees them: a global store of its group.</summary>
    public NeighborTable Neighbors { get; }

    /// <summary>The ranking model in service, as the recommender sees it (a global store of its group).</summary>
    public ModelTable Models { get; }

    /// <summary>The merchandising rules, as the recommender sees them (read by the project's table reader, see the class).</summary>
    public MerchandisingRulesTable Rules { get; }
    public RecommendationWriter? Writer { get; private set; }
    public RecommendationStore? Store { get; private set; }

    /// <summary>The topology groups running on Streamiz.</summary>
    public IReadOnlyList<StreamApplication> Applications => _applications;

    /// <summary>What this instance runs, for logs and the command line: its topology groups.</summary>
    public IEnumerable<string> RunningNames => _applications.Select(a => a.Name);

    /// <summary>
    /// True once <see cref="StartAsync"/> has created every topology group and every group is running: its replicated
    /// tables loaded and its stores restored. Without the start flag an empty list would read as "all running" before
    /// the groups exist. False while Redis writes are failing (<see cref="RecommendationWriter.IsFailing"/>): the
    /// instance cannot deliver fresh values then.
    /// </summary>
    public bool IsReady => NotReadyBecause is null;

    /// <summary>
    /// Why the instance is not ready (null when it is), naming what it waits for: what <c>/health/ready</c> answers, so an
    /// operator sees which group is still rebalancing or restoring instead of a generic "starting".
    /// </summary>
    public string? NotReadyBecause
    {
        get
        {
            if (!_started) return "starting: the topology groups are being created";
            var waiting = _applications.Select(a => (a.Name, Because: a.NotRunningBecause)).Where(a => a.Because is not null)
                .Select(a => $"{a.Name} {a.Because}").ToList();
            if (waiting.Count > 0) return "waiting for " + string.Join(", ", waiting);
            if (_options.Topologies.Contains(TopologyNames.Recommender) && !Rules.Table.IsCaughtUp) return "reading the merchandising rules";
            return Writer is { IsFailing: true } ? "Redis writes are failing" : null;
        }
    }

    private volatile bool _started;
    private int _sharedStarted;
    private int _disposed;
    private Task? _rulesReading;

    /// <summary>
    /// The topology groups <paramref name="options"/> selects, in the order they start: learner, recommender, outcomes
    /// (only with an experiment: without one there is nothing to measure), ranker-trainer. A host runs each as a
    /// service of its own (<see cref="StartGroupAsync"/>) after the instance's shared part (<see cref="StartSharedAsync"/>).
    /// </summary>
    public static IReadOnlyList<string> GroupsOf(CrossSellServiceOptions options) =>
        TopologyNames.Selectable.Where(g => options.Topologies.Contains(g) && (g != TopologyNames.Outcomes || options.Experiment.Enabled)).ToList();

    /// <summary>This instance's topology groups in start order (<see cref="GroupsOf"/>).</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>Starts the shared part, then every topology group in turn; each has loaded its replicated tables (catalog, learned rows) when this returns.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await StartSharedAsync(cancellationToken);
        foreach (var group in Groups) await StartGroupAsync(group, cancellationToken);
    }

    /// <summary>
    /// What the groups of an instance share, started before any of them: with a recommender, the Redis connection
    /// (an unreachable Redis fails the start before anything consumes) and the merchandising rules read to the end.
    /// The metrics registry and the replicated tables' objects exist from construction.
    /// </summary>
    public async Task StartSharedAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _sharedStarted, 1) == 1) throw new InvalidOperationException("the shared part has started already");
        if (!_options.Topologies.Contains(TopologyNames.Recommender)) return;
        _redis = await ConnectRedisAsync(_options.Redis);
        _rulesReading = Rules.Table.RunAsync(_stop.Token);
        _running.Add(_rulesReading);
        await Rules.Table.WaitUntilCaughtUpAsync(cancellationToken);
    }

    /// <summary>
    /// Builds and starts one topology group (one of <see cref="Groups"/>, after <see cref="StartSharedAsync"/>): its
    /// <see cref="StreamApplication"/> has loaded its replicated tables when this returns. The instance is ready once
    /// every group has started and runs.
    /// </summary>
    public async Task StartGroupAsync(string group, CancellationToken cancellationToken = default)
    {
        if (!Groups.Contains(group)) throw new ArgumentException($"'{group}' is not one of this instance's groups ({string.Join(", ", Groups)})", nameof(group));
        if (_sharedStarted == 0) throw new InvalidOperationException("start the shared part first (StartSharedAsync)");
        if (_applications.Any(a => a.Name == group)) throw new InvalidOperationException($"{group} has started already");
        var streams = _options.Streams;
        var recommender = _options.Topologies.Contains(TopologyNames.Recommender);
        TopologyGroup built;
        switch (group)
        {
            case TopologyNames.Learner:
            {
                // Each group reads its own copy of a replicated table (one global thread per group).
                var catalog = recommender ? new CatalogTable(_loggers) : Catalog;
                built = BasketLearningTopology.Build(streams, _options.Learning, _options.Learner, catalog, _loggers, _streamsMetrics);
                break;
            }
            case TopologyNames.Recommender:
                Store = new RecommendationStore(_redis!, _options.Redis);
                Writer = new RecommendationWriter(Store, _loggers.CreateLogger<RecommendationWriter>(), new RedisWriteMetrics(Metrics));
                built = CartRecommenderTopology.Build(streams, _options.Recommender, Catalog, Neighbors, new RedisRecommendationSink(Writer),
                    _options.Experiment, _loggers, _streamsMetrics, Models, new DecayClock(_options.Learning.HalfLife, _options.Learning.Landmark), Rules);
                break;
            case TopologyNames.Outcomes:
                built = OutcomesTopology.Build(streams, _options.Experiment, loggers: _loggers, metrics: _streamsMetrics, clock: _clock);
                break;
            case TopologyNames.RankerTrainer:
            {
                // Each group reads its own copy of a replicated table; the trainer's catalog gives the validation carts the
                // categories and prices the recommender sees.
                var catalog = recommender || _options.Topologies.Contains(TopologyNames.Learner) ? new CatalogTable(_loggers) : Catalog;
                var models = recommender ? new ModelTable(_options.Recommender.Ranking, _loggers) : Models; // a copy of its own when the recommender runs here too (whose table warns of models fitted on other rows)
                var trainer = _options.RankerTrainer.Trainer(_options.Learning, _options.Recommender.Ranking, _options.Recommender.SimilarBaskets);
                built = RankerTrainerTopology.Build(streams, _options.RankerTrainer, trainer, _options.Learner, catalog, models, _loggers, _streamsMetrics,
                    TrainerMetrics, _clock);
                break;
            }
            default:
                throw new System.Diagnostics.UnreachableException(group);
        }
        await AddAsync(new StreamApplication(built, _options.Kafka, streams, _loggers, _streamsMetrics), cancellationToken);
        if (_applications.Length == Groups.Count) _started = true;
    }

    /// <summary>The running group <paramref name="group"/>'s application (null before it started).</summary>
    public StreamApplication? Application(string group) => _applications.FirstOrDefault(a => a.Name == group);

    /// <summary>
    /// Closes one topology group cleanly (Streamiz commits, flushes its stores, writes its RocksDB checkpoints); the
    /// shared part stays until <see cref="DisposeAsync"/>. A host stops its groups in the reverse of their start order,
    /// so a recommender's last commit still has the Redis writer it waits for.
    /// </summary>
    public async Task StopGroupAsync(string group)
    {
        if (Application(group) is { } application) await application.DisposeAsync();
    }

    /// <summary>Completes when the shared part stops by itself (the merchandising rules' reader failed); never without a recommender.</summary>
    public Task SharedCompletion => _rulesReading ?? new TaskCompletionSource().Task;

    /// <summary>Completes when any topology stops by itself (a failure), so a host can exit non-zero.</summary>
    public Task Completion => Task.WhenAny(_running);

    public async ValueTask DisposeAsync()
    {
        // The host stops the service and its container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        foreach (var application in _applications) await application.DisposeAsync();
        if (Writer is not null) await Writer.DisposeAsync();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // already logged by the runner that failed
        }
        if (_redis is not null) await _redis.CloseAsync();
        _redis?.Dispose();
        _stop.Dispose();
    }

    private async Task AddAsync(StreamApplication application, CancellationToken cancellationToken)
    {
        _applications = [.. _applications, application];
        await application.StartAsync(cancellationToken);
        _running.Add(application.Completion);
    }

    private static async Task<ConnectionMultiplexer> ConnectRedisAsync(RedisStoreOptions options)
    {
        var config = ConfigurationOptions.Parse(options.Configuration);
        config.AbortOnConnectFail = false;
        var redis = await ConnectionMultiplexer.ConnectAsync(config);
        try
        {
            await redis.GetDatabase().PingAsync();
        }
        catch (RedisException e)
        {
            redis.Dispose();
            // The configuration string may hold a password: name the endpoints only.
            throw new OptionsValidationException($"{RedisStoreOptions.SectionName}:Configuration ({string.Join(", ", config.EndPoints)}): Redis does not answer ({e.Message})");
        }
        return redis;
    }
}
