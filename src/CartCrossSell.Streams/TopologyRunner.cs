using System.Diagnostics;
using System.Text;
using CartCrossSell.Contracts;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Streams;

public enum TopologyState { Created, Starting, Restoring, Running, Stopped, Failed }

/// <summary>The steps of a commit, in order. Tests crash an instance between any two of them.</summary>
public enum CommitStage { BeforeOutputs, AfterOutputs, AfterEffects, AfterChangelog, AfterCommit }

/// <summary>Counters of one running topology instance (read from any thread).</summary>
public sealed class TopologyCounters
{
    private long _processed, _deadLettered, _skippedAsApplied, _commits, _restoredRecords;
    public long Processed => Interlocked.Read(ref _processed);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    public long SkippedAsApplied => Interlocked.Read(ref _skippedAsApplied);
    public long Commits => Interlocked.Read(ref _commits);
    public long RestoredRecords => Interlocked.Read(ref _restoredRecords);
    internal void Processed1() => Interlocked.Increment(ref _processed);
    internal void DeadLettered1() => Interlocked.Increment(ref _deadLettered);
    internal void Skipped1() => Interlocked.Increment(ref _skippedAsApplied);
    internal void Committed1() => Interlocked.Increment(ref _commits);
    internal void Restored(long n) => Interlocked.Add(ref _restoredRecords, n);
}

/// <summary>Runs any topology: the only place that polls, restores, flushes and commits.</summary>
public interface ITopologyRunner : IAsyncDisposable
{
    string Name { get; }
    TopologyState State { get; }
    TopologyCounters Counters { get; }
    IReadOnlyCollection<int> AssignedPartitions { get; }
    Task RunAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Runs one instance of a topology in its consumer group. Per batch it processes records in memory, then, in this
/// order: delivers outputs and dead letters, flushes effect sinks (Redis), logs changed state with the applied-offset
/// marker, and only then commits the input offsets. A crash at any point therefore either replays records whose
/// effects are idempotent (outputs carry source coordinates, Redis writes carry versions) or skips records whose
/// state change is already in the changelog. Correctness never depends on Kafka transactions.
/// </summary>
public sealed class TopologyRunner<T> : ITopologyRunner
{
    private readonly Topology<T> _topology;
    private readonly KafkaOptions _kafka;
    private readonly StreamsOptions _streams;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly Dictionary<int, PartitionTask<T>> _tasks = new();
    private readonly string _group;
    private IProducer<byte[], byte[]?>? _producer;
    private IConsumer<byte[], byte[]>? _restoreConsumer;
    private Error? _deliveryError;
    private readonly StreamsMetrics? _metrics;
    private volatile TopologyState _stateValue = TopologyState.Created;
    private volatile int[] _assigned = [];

    public TopologyRunner(Topology<T> topology, KafkaOptions kafka, StreamsOptions streams, ILoggerFactory loggers, TimeProvider? clock = null,
        StreamsMetrics? metrics = null)
    {
        _metrics = metrics;
        kafka.Validate();
        streams.Validate();
        _topology = topology;
        _kafka = kafka;
        _streams = streams;
        _clock = clock ?? TimeProvider.System;
        _log = loggers.CreateLogger($"CartCrossSell.Streams.{topology.Name}");
        _group = TopicNames.ConsumerGroup(streams.ApplicationId, topology.Name);
    }

    public string Name => _topology.Name;
    public TopologyState State => _stateValue;

    private TopologyState _state
    {
        get => _stateValue;
        set
        {
            _stateValue = value;
            _metrics?.State(Name, value);
        }
    }
    public TopologyCounters Counters { get; } = new();
    public IReadOnlyCollection<int> AssignedPartitions => _assigned;

    /// <summary>Called at every commit stage; a test throws from it to crash the instance exactly there.</summary>
    internal Action<CommitStage>? OnCommitStage { get; set; }

    /// <summary>Processes until cancelled, on a dedicated thread (the consumer blocks).</summary>
    public Task RunAsync(CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        _state = TopologyState.Starting;
        try
        {
            EnsureTopics();
            _producer = BuildProducer();
            _restoreConsumer = BuildRestoreConsumer();
            using var consumer = BuildConsumer();
            consumer.Subscribe(_topology.SourceTopic);
            _log.LogInformation("{Topology}: consuming {Topic} as group {Group}", Name, _topology.SourceTopic, _group);
            var sinceCommit = Stopwatch.StartNew();
            var pending = 0;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    ConsumeResult<byte[], byte[]>? result;
                    try
                    {
                        result = consumer.Consume(_streams.PollTimeout);
                    }
                    catch (ConsumeException e) when (!e.Error.IsFatal)
                    {
                        _log.LogWarning("{Topology}: consume error {Code}: {Reason}", Name, e.Error.Code, e.Error.Reason);
                        continue;
                    }
                    if (result is not null && !result.IsPartitionEOF)
                    {
                        Handle(result);
                        pending++;
                    }
                    if (pending > 0 && (result is null || pending >= _streams.MaxBatchRecords || sinceCommit.Elapsed >= _streams.CommitInterval))
                    {
                        Commit(consumer, ct);
                        pending = 0;
                        sinceCommit.Restart();
                    }
                    else if (result is null && sinceCommit.Elapsed >= _streams.CommitInterval)
                    {
                        // Idle: let processors send what they held back (throttled rows, closed windows).
                        Commit(consumer, ct, punctuate: true);
                        sinceCommit.Restart();
                    }
                }
                Commit(consumer, CancellationToken.None);
            }
            finally
            {
                foreach (var task in _tasks.Values) task.Processor?.Close();
                _tasks.Clear();
                consumer.Close();
            }
            _state = TopologyState.Stopped;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped while an effect flush was retrying: nothing after the last commit is lost, it will be replayed.
            _state = TopologyState.Stopped;
        }
        catch (Exception e)
        {
            _state = TopologyState.Failed;
            _log.LogError(e, "{Topology}: failed", Name);
            throw;
        }
        finally
        {
            _producer?.Flush(TimeSpan.FromSeconds(10));
            _producer?.Dispose();
            _restoreConsumer?.Close();
            _restoreConsumer?.Dispose();
        }
    }

    private void EnsureTopics()
    {
        using var admin = new TopicAdmin(_kafka);
        var changelogs = _topology.Stores.Select(s => TopicNames.Changelog(_streams.ApplicationId, s.Name)).ToArray();
        var described = admin.Describe([_topology.SourceTopic, Topics.DeadLetters, .. changelogs, .. _topology.OutputTopics], TimeSpan.FromSeconds(15));
        var sourcePartitions = described[_topology.SourceTopic];
        foreach (var changelog in changelogs)
            if (described[changelog] < sourcePartitions)
                throw new InvalidOperationException(
                    $"changelog '{changelog}' has {described[changelog]} partitions but '{_topology.SourceTopic}' has {sourcePartitions}: a changelog needs one partition per input partition (`cartxsell topics apply` creates them so)");
    }

    private IProducer<byte[], byte[]?> BuildProducer()
    {
        var config = new ProducerConfig { EnableIdempotence = true, Acks = Acks.All, LingerMs = 2, CompressionType = CompressionType.Lz4 };
        _kafka.Apply(config);
        return new ProducerBuilder<byte[], byte[]?>(config)
            .SetLogHandler((_, m) => _log.LogDebug("{Topology} producer: {Message}", Name, m.Message))
            .Build();
    }

    private IConsumer<byte[], byte[]> BuildRestoreConsumer()
    {
        var config = new ConsumerConfig
        {
            GroupId = _group + "-restore", EnableAutoCommit = false, EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnablePartitionEof = true,
        };
        _kafka.Apply(config);
        return new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
    }

    private IConsumer<byte[], byte[]> BuildConsumer()
    {
        var config = new ConsumerConfig
        {
            GroupId = _group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = (int)_streams.SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = Math.Max(100, (int)_streams.SessionTimeout.TotalMilliseconds / 5),
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
            AllowAutoCreateTopics = false,
            QueuedMaxMessagesKbytes = _streams.MaxPrefetchKilobytes,
        };
        _kafka.Apply(config);
        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, m) => _log.LogDebug("{Topology} consumer: {Message}", Name, m.Message))
            .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
            .SetPartitionsLostHandler((c, partitions) => OnLost(partitions))
            .Build();
    }

    private void Handle(ConsumeResult<byte[], byte[]> result)
    {
        if (!_tasks.TryGetValue(result.Partition.Value, out var task))
            throw new InvalidOperationException($"{Name}: record for unassigned partition {result.Partition.Value}");
        var coordinates = new RecordCoordinates(result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Timestamp.UtcDateTime);
        task.Current = coordinates;
        task.LastOffset = coordinates.Offset;
        if (coordinates.Offset <= task.SkipThrough)
        {
            Counters.Skipped1();
            return;
        }

        var value = result.Message.Value;
        task.CurrentKey = result.Message.Key is null ? null : Encoding.UTF8.GetString(result.Message.Key);
        task.CurrentPayload = value;
        var decoded = InputGate.Admit(value, _topology.Codec, _streams.MaxRecordBytes);
        if (!decoded.Ok)
        {
            DeadLetter(task, decoded.FailureKind!, decoded.FailureReason!);
            return;
        }
        try
        {
            var started = Stopwatch.GetTimestamp();
            task.Processor!.Process(new InputRecord<T>(coordinates, task.CurrentKey, decoded.Value!));
            Counters.Processed1();
            _metrics?.Processed(Name, coordinates.Topic, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A processor that throws on one record must not stop the partition: the record is kept as a dead letter.
            _log.LogError(e, "{Topology}: processing {Topic}/{Partition}@{Offset} failed", Name, coordinates.Topic, coordinates.Partition, coordinates.Offset);
            DeadLetter(task, "processing-error", $"{e.GetType().Name}: {e.Message}");
        }
    }

    private void DeadLetter(PartitionTask<T> task, string kind, string reason)
    {
        var envelope = DeadLetters.Envelope(kind, reason, task.Current, task.CurrentKey, task.CurrentPayload, _group, _clock.GetUtcNow());
        Send(Topics.DeadLetters, task.CurrentKey ?? $"{task.Current.Topic}-{task.Current.Partition}-{task.Current.Offset}",
            ContractCodecs.DeadLetter.Encode(envelope), _clock.GetUtcNow());
        Counters.DeadLettered1();
        _metrics?.DeadLettered(Name, task.Current.Topic, kind);
        _log.LogWarning("{Topology}: dead-lettered {Topic}/{Partition}@{Offset} ({Kind}): {Reason}", Name, task.Current.Topic, task.Current.Partition, task.Current.Offset, kind, reason);
    }

    private void Send(string topic, string key, byte[] value, DateTimeOffset timestamp) =>
        _producer!.Produce(topic, new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value, Timestamp = new Timestamp(timestamp) }, OnDelivery);

    private void OnDelivery(DeliveryReport<byte[], byte[]?> report)
    {
        if (report.Error.IsError) _deliveryError ??= report.Error;
    }

    private void FlushProducer()
    {
        while (_producer!.Flush(TimeSpan.FromSeconds(30)) > 0)
            _log.LogWarning("{Topology}: still waiting for the broker to acknowledge records", Name);
        if (_deliveryError is { } error)
            throw new KafkaException(error);
    }

    private void Commit(IConsumer<byte[], byte[]> consumer, CancellationToken ct, bool punctuate = false)
    {
        var progressed = _tasks.Values.Where(t => t.HasProgress).ToArray();
        if (progressed.Length == 0 && !punctuate) return;
        var started = Stopwatch.GetTimestamp();

        // 1. Outputs and dead letters, 2. effects outside Kafka: both idempotent on replay.
        OnCommitStage?.Invoke(CommitStage.BeforeOutputs);
        foreach (var task in _tasks.Values) task.FlushProcessor();
        FlushProducer();
        OnCommitStage?.Invoke(CommitStage.AfterOutputs);
        foreach (var sink in _topology.Sinks) sink.FlushAsync(ct).GetAwaiter().GetResult();
        OnCommitStage?.Invoke(CommitStage.AfterEffects);

        // 3. State, with the marker of the last applied input offset, so a replay skips what is already applied.
        foreach (var task in _tasks.Values)
            foreach (var store in task.Stores)
                store.WriteChangelog(_producer!, TopicNames.Changelog(_streams.ApplicationId, store.Name), task.Partition, task.LastOffset, OnDelivery);
        FlushProducer();
        OnCommitStage?.Invoke(CommitStage.AfterChangelog);
        if (progressed.Length == 0) return;

        // 4. Input offsets, last.
        try
        {
            consumer.Commit(progressed.Select(t => new TopicPartitionOffset(_topology.SourceTopic, t.Partition, t.LastOffset + 1)));
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId)
        {
            // The group is rebalancing. Outputs, effects and state with its marker are already flushed, so leaving the
            // offsets uncommitted is safe: the next commit retries them, or the next owner replays and skips what the
            // restored marker covers.
            _log.LogInformation("{Topology}: offset commit deferred by a rebalance ({Code})", Name, e.Error.Code);
            return;
        }
        foreach (var task in progressed) task.CommittedThrough = task.LastOffset;
        Counters.Committed1();
        _metrics?.Committed(Name, Stopwatch.GetElapsedTime(started));
        ReportLag(consumer);
        OnCommitStage?.Invoke(CommitStage.AfterCommit);
    }

    private void OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        _state = TopologyState.Restoring;
        foreach (var tp in partitions)
        {
            var stores = _topology.Stores.Select(s => s.Create()).ToArray();
            var task = new PartitionTask<T>(_streams.ApplicationId, Name, tp.Partition.Value, stores, _clock, Send, DeadLetter);
            foreach (var store in stores) Restore(store, tp.Partition.Value);
            task.Processor = _topology.ProcessorFactory(task);
            task.Processor.Init(task);
            _tasks[tp.Partition.Value] = task;
        }
        _assigned = _tasks.Keys.Order().ToArray();
        _log.LogInformation("{Topology}: assigned partitions [{Partitions}]", Name, string.Join(",", _assigned));
        _state = TopologyState.Running;
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, IReadOnlyList<TopicPartitionOffset> partitions)
    {
        Commit(consumer, CancellationToken.None);
        Drop(partitions.Select(p => p.Partition.Value));
    }

    private void OnLost(IReadOnlyList<TopicPartitionOffset> partitions)
    {
        // Another instance owns these now; uncommitted work will be replayed there, idempotently.
        _log.LogWarning("{Topology}: lost partitions [{Partitions}]", Name, string.Join(",", partitions.Select(p => p.Partition.Value)));
        Drop(partitions.Select(p => p.Partition.Value));
    }

    private void ReportLag(IConsumer<byte[], byte[]> consumer)
    {
        if (_metrics is null) return;
        foreach (var task in _tasks.Values)
        {
            // Cached by the client from fetch responses: no request to the broker.
            var high = consumer.GetWatermarkOffsets(new TopicPartition(_topology.SourceTopic, task.Partition)).High;
            if (high != Offset.Unset) _metrics.Lag(Name, _topology.SourceTopic, task.Partition, Math.Max(0, high.Value - (task.LastOffset + 1)));
        }
    }

    private void Drop(IEnumerable<int> partitions)
    {
        foreach (var p in partitions)
        {
            if (_tasks.Remove(p, out var task)) task.Processor?.Close();
            _metrics?.RemoveLag(Name, _topology.SourceTopic, p);
        }
        _assigned = _tasks.Keys.Order().ToArray();
    }

    private void Restore(ChangeloggedStoreBase store, int partition)
    {
        var topic = TopicNames.Changelog(_streams.ApplicationId, store.Name);
        var tp = new TopicPartition(topic, partition);
        var watermarks = _restoreConsumer!.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(15));
        if (watermarks.High.Value <= watermarks.Low.Value) return;
        var total = watermarks.High.Value - watermarks.Low.Value;
        var started = Stopwatch.StartNew();
        var lastReport = Stopwatch.StartNew();
        long restored = 0;
        _restoreConsumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        try
        {
            while (true)
            {
                var r = _restoreConsumer.Consume(TimeSpan.FromSeconds(1));
                if (r is null) continue;
                if (r.IsPartitionEOF)
                {
                    if (r.Offset.Value >= watermarks.High.Value) break;
                    continue;
                }
                store.RestoreRecord(r.Message.Key, r.Message.Value);
                restored++;
                if (lastReport.Elapsed > TimeSpan.FromSeconds(2))
                {
                    _metrics?.Restore(Name, store.Name, partition, restored, total);
                    _log.LogInformation("{Topology}: restoring {Store} partition {Partition}: {Done}/{Total} records", Name, store.Name, partition, restored, total);
                    lastReport.Restart();
                }
                if (r.Offset.Value >= watermarks.High.Value - 1) break;
            }
        }
        finally
        {
            _restoreConsumer.Unassign();
        }
        Counters.Restored(restored);
        _metrics?.Restore(Name, store.Name, partition, restored, restored);
        _log.LogInformation("{Topology}: restored {Store} partition {Partition}: {Records} records in {Ms} ms, applied through offset {Offset}",
            Name, store.Name, partition, restored, started.ElapsedMilliseconds, store.RestoredThrough);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
