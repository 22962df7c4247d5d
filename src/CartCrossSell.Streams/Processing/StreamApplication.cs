using System.Reflection;
using CartCrossSell.Contracts;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Errors;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Stream;
using StreamizGuarantee = Streamiz.Kafka.Net.ProcessingGuarantee;

namespace CartCrossSell.Streams.Processing;

/// <summary>What a topology group declares besides its Streamiz topology: the topics it reads and writes.</summary>
public sealed record TopologyGroup(string Name, Topology Topology, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>
    /// The group's own commit interval, when it differs from <c>Streams:CommitInterval</c>: a group whose effects are
    /// throttled anyway (the learner publishes a row at most once per <c>Learner:RowPublishInterval</c>) gains nothing
    /// from committing more often than that, and pays for every commit (each changed row is encoded and logged again).
    /// </summary>
    public TimeSpan? CommitInterval { get; init; }

    /// <summary>
    /// The group's own number of stream threads, when it differs from <c>Streams:Threads</c>: a group of two
    /// sub-topologies with a repartition topic between them (the learner) keeps both cores busy only when its tasks
    /// run on two threads, one thread doing the upstream and the downstream tasks' work in turn.
    /// </summary>
    public int? Threads { get; init; }
}

/// <summary>
/// One topology group running on Streamiz: one <see cref="KafkaStream"/> whose application id (and consumer group) is
/// <c>{Streams:ApplicationId}-{group}</c>, with the service's settings (at-least-once, short commit interval and
/// session timeout, bounded RocksDB) and its topics checked before it starts.
/// </summary>
public sealed class StreamApplication : IAsyncDisposable
{
    private readonly TopologyGroup _group;
    private readonly KafkaOptions _kafka;
    private readonly StreamsOptions _streams;
    private readonly ILogger _log;
    private readonly ILoggerFactory _loggers;
    private KafkaStream _stream;
    private ClientSettingsSupplier _clients = null!; // the clients of _stream
    private readonly GroupLag _lag;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _temporaryState;
    private long _restoredRecords;
    private volatile bool _disposing;
    private volatile bool _starting;
    private int _disposed;

    public StreamApplication(TopologyGroup group, KafkaOptions kafka, StreamsOptions streams, ILoggerFactory loggers, StreamsMetrics? metrics = null)
    {
        _group = group;
        _kafka = kafka;
        _streams = streams;
        _log = loggers.CreateLogger($"CartCrossSell.Streams.{group.Name}");
        // A crash test's kill point (CARTXSELL_TEST_KILL_AT) is read here, so a malformed one stops the start, not a commit.
        if (CommitStepKill.IsArmed) _log.LogWarning("{Group}: {Variable} is set: this process kills itself at a commit step", group.Name, CommitStepKill.Variable);
        ApplicationId = ApplicationIdOf(streams, group.Name);
        if (streams.StateDirectory is null)
        {
            TemporaryStateDirectories.DeleteAbandoned(Path.GetTempPath(), _log);
            _temporaryState = TemporaryStateDirectories.NewPath(Path.GetTempPath());
        }
        _loggers = loggers;
        Metrics = metrics; // before the stream: its clients count into it
        _stream = CreateStream();
        var sources = new Lazy<IReadOnlySet<string>>(() => SourceTopics(group.Topology));
        _lag = new GroupLag(ApplicationId, () => sources.Value, kafka);
        metrics?.Bridge(group.Name, () => _stream);
        metrics?.BridgeLag(group.Name, _lag);
    }

    private KafkaStream CreateStream()
    {
        var config = Config(ApplicationId, _kafka, _streams, _loggers, _temporaryState);
        if (_group.CommitInterval is { } commitInterval) config.CommitIntervalMs = (long)commitInterval.TotalMilliseconds;
        if (_group.Threads is { } threads) config.NumStreamThreads = threads;
        _clients = Clients(config, _kafka, Metrics is { } metrics ? () => metrics.RevocationCommitDropped(Name) : null);
        var stream = new KafkaStream(_group.Topology, config, _clients);
        stream.StateChanged += (old, @new) =>
        {
            if (ReferenceEquals(stream, _stream)) OnStateChanged(old, @new); // not a stream given up during the start
        };
        stream.OnRestoreEndEvent += (partition, store, restored) =>
        {
            Interlocked.Add(ref _restoredRecords, restored);
            _log.LogInformation("{Group}: restored {Records} records of store {Store} from {Partition}", Name, restored, store, partition);
        };
        return stream;
    }

    /// <summary>Streamiz's own clients, each given the <c>Kafka:Client</c> settings (<see cref="ClientSettingsSupplier"/>).</summary>
    internal static ClientSettingsSupplier Clients(StreamConfig config, KafkaOptions kafka, Action? revocationCommitDropped = null) =>
        new ClientSettingsSupplier(new DefaultKafkaClientSupplier(new KafkaLoggerAdapter(config), config), kafka,
            config.Logger?.CreateLogger("CartCrossSell.Streams.Rebalancing"), revocationCommitDropped);

    public static string ApplicationIdOf(StreamsOptions streams, string group) => $"{streams.ApplicationId}-{group}";

    public string Name => _group.Name;

    /// <summary><c>{Streams:ApplicationId}-{group}</c>: the consumer group and the prefix of changelog topics.</summary>
    public string ApplicationId { get; }

    public StreamsMetrics? Metrics { get; }

    /// <summary>The Streamiz state: CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING or ERROR.</summary>
    public KafkaStream.State State { get; private set; } = KafkaStream.State.CREATED;

    /// <summary>
    /// Processing: every task of this instance restored and running. Streamiz's RUNNING alone comes as soon as the
    /// partitions are assigned, while the tasks still restore their stores (seconds for 100,000 carts replayed).
    /// </summary>
    public bool IsRunning => NotRunningBecause is null;

    /// <summary>
    /// What this instance waits for before it processes, in words an operator reads on <c>/health/ready</c>: "restoring
    /// its stores" (Streamiz's RUNNING with tasks still restoring), else its Streamiz state ("created", "rebalancing",
    /// "pending shutdown", "error"); null once it is <see cref="IsRunning"/>. The state is read once, so the answer is one
    /// moment's.
    /// </summary>
    public string? NotRunningBecause
    {
        get
        {
            var state = State;
            if (state != KafkaStream.State.RUNNING) return state.Name.ToLowerInvariant().Replace('_', ' ');
            return TaskState.AllActiveTasksRunning(_stream) ? null : "restoring its stores";
        }
    }

    /// <summary>Completes when the stream stops by itself; faults when a stream thread died (the host then exits non-zero).</summary>
    public Task Completion => _stopped.Task;

    /// <summary>Changelog records restored into this instance's stores since it started (0 when local state was current).</summary>
    public long RestoredRecords => Interlocked.Read(ref _restoredRecords);

    /// <summary>The live Streamiz instance (interactive queries, metrics).</summary>
    public KafkaStream Stream => _stream;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        EnsureTopics();
        _starting = true;
        try
        {
            await StartStreamAsync(cancellationToken);
        }
        finally
        {
            _starting = false;
        }
        // A thread that died while the start was still under way changed the state while failures were left to
        // StartAsync; it did not throw, so the state it left must still stop the application (else: never ready, never exits).
        Settle(State);
    }

    private async Task StartStreamAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _stream.StartAsync(cancellationToken);
                return;
            }
            catch (StreamsException e) when (attempt < 3 && e.InnerException is KafkaException { Error.Code: ErrorCode.Local_State })
            {
                // Streamiz's global thread seeks right after it assigns the global topics' partitions, and librdkafka can
                // refuse that seek ("Local: Erroneous state") before the assignment has settled; nothing has processed
                // yet, so a new KafkaStream over the same topology starts again.
                _log.LogWarning("{Group}: the global thread could not start ({Reason}); starting again", Name, e.InnerException.Message);
                try
                {
                    await Task.Run(_stream.Dispose, cancellationToken);
                    _clients.DisposeLeftOverClients();
                }
                catch (Exception disposal)
                {
                    _log.LogDebug(disposal, "{Group}: disposing the stream that did not start", Name);
                }
                ForgetGlobalStores(_group.Topology);
                _stream = CreateStream();
                State = KafkaStream.State.CREATED; // not the disposed stream's NOT_RUNNING, which the end of the start would take for a stop
            }
        }
    }

    /// <summary>
    /// Streamiz 1.8.2 builds a topology's global stores into the topology itself: every <see cref="KafkaStream"/> it is
    /// given adds them to the internal builder's <c>GlobalStateStores</c>, so a second stream over the same topology
    /// throws "An item with the same key has already been added". The stores belong to the stream that was disposed;
    /// forgetting them lets the next stream build its own. Internal API of the pinned version: a version without it
    /// fails here, naming the cause, rather than at an unrelated key.
    /// </summary>
    internal static void ForgetGlobalStores(Topology topology)
    {
        const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance;
        var builder = typeof(Topology).GetProperty("Builder", Internal)?.GetValue(topology);
        if (builder?.GetType().GetProperty("GlobalStateStores", Internal)?.GetValue(builder) is not System.Collections.IDictionary stores)
            throw new InvalidOperationException("this Streamiz version keeps global stores elsewhere: a stream cannot be created again over the same topology");
        stores.Clear();
    }

    /// <summary>Waits until the stream runs (every task restored), or fails if it stops first.</summary>
    public async Task WaitUntilRunningAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsRunning)
        {
            if (_stopped.Task.IsCompleted) await _stopped.Task; // rethrows the failure
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name}: not running within {timeout.TotalSeconds:F0} s (state {State})");
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// Whether the group has committed every record its sources hold now (its input topics and its own repartition
    /// topics): a lag of zero. Under at-least-once a commit follows the flush of what the records produced, so what
    /// the group wrote for them is in its output topics. What the demo and tests wait for before reading results;
    /// "nothing new for a while" is not the same on a machine busy enough to stall a stream thread for seconds.
    /// </summary>
    public bool HasConsumedEverything(TimeSpan timeout) => Lagging(timeout).Count == 0;

    /// <summary>The source partitions whose committed offset is behind their end, with both (committed below 0: nothing committed yet).</summary>
    public IReadOnlyList<(TopicPartition Partition, long Committed, long End)> Lagging(TimeSpan timeout) =>
        [.. _lag.Read(timeout).Where(p => p.End > p.Start && p.Committed < p.End).Select(p => (p.Partition, p.Committed, p.End))];

    // The sub-topologies' sources: input and repartition topics (named without the application id in the description),
    // not the global stores' topics, which a global consumer reads without committing.
    private static IReadOnlySet<string> SourceTopics(Topology topology) =>
        topology.Describe().SubTopologies.SelectMany(t => t.Nodes).OfType<ISourceNodeDescription>()
            .SelectMany(n => n.Topics).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Every topic the group reads or writes must exist before the group starts: a send to a missing topic is only
    /// reported when the producer closes. The embedded cluster creates topics on first use, a real cluster needs
    /// <c>cartxsell topics apply</c>; changelogs are created by Streamiz.
    /// </summary>
    private void EnsureTopics()
    {
        using var admin = new TopicAdmin(_kafka);
        admin.Describe([.. _group.Inputs, .. _group.Outputs, Topics.DeadLetters], TimeSpan.FromSeconds(15));
    }

    private void OnStateChanged(KafkaStream.State old, KafkaStream.State @new)
    {
        State = @new;
        Metrics?.State(Name, @new);
        _log.LogInformation("{Group}: {Old} -> {New}", Name, old, @new);
        // A failure while starting surfaces from StartAsync (and may be retried), not through Completion.
        if (_starting) return;
        Settle(@new);
    }

    private void Settle(KafkaStream.State @new)
    {
        if (@new == KafkaStream.State.ERROR)
            _stopped.TrySetException(new InvalidOperationException($"{Name}: a stream thread died (see the log above); restart the instance"));
        else if (@new == KafkaStream.State.NOT_RUNNING)
        {
            if (_disposing) _stopped.TrySetResult();
            else _stopped.TrySetException(new InvalidOperationException($"{Name}: the stream stopped by itself"));
        }
    }

    internal static StreamConfig Config(string applicationId, KafkaOptions kafka, StreamsOptions streams, ILoggerFactory loggers, string? stateDirectory = null)
    {
        var config = new StreamConfig
        {
            ApplicationId = applicationId,
            BootstrapServers = kafka.BootstrapServers,
            DefaultKeySerDes = new StringSerDes(),
            DefaultValueSerDes = new ByteArraySerDes(),
            DefaultTimestampExtractor = new InputTimestamps(),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // The embedded cluster cannot create topics by request: internal topics appear on first use.
            AllowAutoCreateTopics = true,
            SessionTimeoutMs = (int)streams.SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = Math.Max(100, (int)streams.SessionTimeout.TotalMilliseconds / 5),
            MaxPollIntervalMs = Math.Max(300_000, (int)streams.SessionTimeout.TotalMilliseconds),
            // Streamiz sets the range assignor (eager). Cooperative-sticky revokes only what changes owner, but on Streamiz
            // 1.8.2 a commit refused during the rebalance still closes every task (README: Scale-out and fail-over).
            PartitionAssignmentStrategy = streams.Rebalancing == Rebalancing.Cooperative
                ? PartitionAssignmentStrategy.CooperativeSticky
                : PartitionAssignmentStrategy.Range,
            FetchWaitMaxMs = KafkaOptions.ConsumerFetchWaitMs,
            PollMs = (long)streams.PollTimeout.TotalMilliseconds,
            MaxPollRecords = streams.MaxBatchRecords,
            QueuedMaxMessagesKbytes = streams.MaxPrefetchKilobytes,
            LingerMs = 2,
            // Streamiz turns idempotence on only for exactly-once. Without it librdkafka may reorder a retried batch
            // behind a later one (NOT_LEADER during a leader move), and the stores downstream skip what arrives out of
            // order: the learner's applied offsets would drop the earlier order's contribution for good.
            EnableIdempotence = true,
            CompressionType = CompressionType.Lz4,
            NumStreamThreads = streams.Threads,
            StateDir = streams.StateDirectory ?? stateDirectory ?? throw new ArgumentException("no state directory", nameof(stateDirectory)),
            Guarantee = streams.Guarantee == ProcessingGuarantee.ExactlyOnce ? StreamizGuarantee.EXACTLY_ONCE : StreamizGuarantee.AT_LEAST_ONCE,
            // The default record cache would hold every changed key of every store until the commit; stores opt in.
            DefaultCacheEnabled = false,
            RocksDbConfigHandler = StateStores.BoundedRocksDb(streams),
            // Checkpoints write the RocksDB memtables to disk first, so commits need not (CheckpointFlushes).
            OffsetCheckpointManager = new FlushBeforeCheckpoint(),
            Logger = new StreamizLogging(loggers),
            // Bad input never reaches here (the processors dead-letter it); what does is a bug or a broker failure:
            // the thread stops, the process exits non-zero and its supervisor restarts it from the last commit.
            InnerExceptionHandler = _ => ExceptionHandlerResponse.FAIL,
            // A dead letter is sized to what the producer accepts (DeadLetters.Record); should the broker still refuse one
            // (a topic with a lower max.message.bytes), it is logged and skipped rather than stopping the partition.
            ProductionExceptionHandler = report => report.Topic == Topics.DeadLetters ? ProductionExceptionHandlerResponse.CONTINUE : ProductionExceptionHandlerResponse.FAIL,
            DeserializationExceptionHandler = (_, _, _) => ExceptionHandlerResponse.FAIL,
        };
        // Streamiz resets the commit interval when the guarantee is set (30 s at-least-once, 100 ms exactly-once): set it after.
        config.CommitIntervalMs = (long)streams.CommitInterval.TotalMilliseconds;
        return config;
    }

    /// <summary>The stream's close, once <see cref="DisposeAsync"/> has begun it: it may outlast a dispose that stopped waiting for it.</summary>
    internal Task? Closing { get; private set; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _disposing = true;
        // Dispose closes the tasks cleanly: commits, flushes stores and writes the RocksDB checkpoints. Bounded: a
        // consumer's close can hang inside librdkafka (Streams:CloseTimeout); its threads are then left to the process's
        // exit (cartxsell exits with Environment.Exit, which does not wait for them), and so are its clients and state,
        // which a stuck close may still be using.
        var closing = Closing = Task.Run(_stream.Dispose);
        var closed = true;
        try
        {
            await closing.WaitAsync(_streams.CloseTimeout);
        }
        catch (TimeoutException) when (!closing.IsFaulted) // the wait's timeout, not one the close threw
        {
            closed = false;
            _log.LogError("{Group}: the stream did not close within {Timeout} s (Streams:CloseTimeout); shutting down without it: " +
                "what it left undone is replayed from the committed offsets", Name, _streams.CloseTimeout.TotalSeconds);
        }
        if (closed) _clients.DisposeLeftOverClients();
        _lag.Dispose();
        _stopped.TrySetResult();
        if (closed && _temporaryState is not null && Directory.Exists(_temporaryState))
        {
            try
            {
                Directory.Delete(_temporaryState, recursive: true);
            }
            catch (IOException e)
            {
                _log.LogWarning("{Group}: temporary state {Directory} not deleted: {Reason}", Name, _temporaryState, e.Message);
            }
        }
    }
}
