using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.Streams.Testing;


/// <summary>
/// Runs a topology's processors synchronously without a broker, as Kafka Streams' TopologyTestDriver does: records
/// piped in are encoded and decoded by the topology's codec (so bad input dead-letters exactly as in production),
/// each record is followed by a commit (processor flush, then the effect sinks), and stores are reachable for
/// assertions. Stores are the production stores; their changelog records are captured instead of produced.
/// </summary>
public sealed class TopologyTestDriver<T> : IDisposable
{
    private readonly Topology<T> _topology;
    private readonly Dictionary<int, PartitionTask<T>> _tasks = new();
    private readonly List<SentRecord> _sent = [];
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly Dictionary<int, long> _offsets = new();

    public TopologyTestDriver(Topology<T> topology, TimeProvider? clock = null, string applicationId = "cartxsell")
    {
        _topology = topology;
        Clock = clock ?? TimeProvider.System;
        ApplicationId = applicationId;
    }

    public TimeProvider Clock { get; }

    /// <summary>The layer's limit on a value's size (<see cref="StreamsOptions.MaxRecordBytes"/>); larger values dead-letter.</summary>
    public int MaxRecordBytes { get; init; } = new StreamsOptions().MaxRecordBytes;
    public string ApplicationId { get; }
    public IReadOnlyList<SentRecord> Sent => _sent;
    public IReadOnlyList<DeadLetter> DeadLetters => _deadLetters;

    public IEnumerable<SentRecord> SentTo(string topic) => _sent.Where(s => s.Topic == topic);

    /// <summary>Pipes one value (encoded with the topology's codec) into a partition of the source topic.</summary>
    public void Pipe(string key, T value, DateTimeOffset? timestamp = null, int partition = 0) =>
        PipeRaw(key, _topology.Codec.Encode(value), timestamp, partition);

    /// <summary>Pipes raw bytes, as a misbehaving producer would.</summary>
    public void PipeRaw(string? key, byte[]? value, DateTimeOffset? timestamp = null, int partition = 0)
    {
        var task = Task(partition);
        var offset = _offsets[partition] = _offsets.GetValueOrDefault(partition, -1) + 1;
        var coordinates = new RecordCoordinates(_topology.SourceTopic, partition, offset, timestamp ?? Clock.GetUtcNow());
        task.Current = coordinates;
        task.CurrentKey = key;
        task.CurrentPayload = value;
        task.LastOffset = offset;
        var decoded = InputGate.Admit(value, _topology.Codec, MaxRecordBytes);
        if (!decoded.Ok) task.DeadLetter(decoded.FailureKind!, decoded.FailureReason!);
        else task.Processor!.Process(new InputRecord<T>(coordinates, key, decoded.Value!));
        Commit(task);
    }

    /// <summary>A commit without a new record, as the layer makes when a partition is idle: the processor flushes.</summary>
    public void Punctuate(int partition = 0) => Commit(Task(partition));

    public IKeyValueStore<TValue> Store<TValue>(string name, int partition = 0) where TValue : class => Task(partition).GetStore<TValue>(name);

    private void Commit(PartitionTask<T> task)
    {
        task.FlushProcessor();
        foreach (var sink in _topology.Sinks) sink.FlushAsync().GetAwaiter().GetResult();
        task.CommittedThrough = task.LastOffset;
    }

    private PartitionTask<T> Task(int partition)
    {
        if (_tasks.TryGetValue(partition, out var task)) return task;
        var stores = _topology.Stores.Select(s => s.Create()).ToArray();
        task = new PartitionTask<T>(ApplicationId, _topology.Name, partition, stores, Clock,
            (topic, key, value, ts) => _sent.Add(new SentRecord(topic, key, value, ts)),
            (t, kind, reason) => _deadLetters.Add(CartCrossSell.Streams.DeadLetters.Envelope(kind, reason, t.Current, t.CurrentKey, t.CurrentPayload,
                TopicNames.ConsumerGroup(ApplicationId, _topology.Name), Clock.GetUtcNow())));
        task.Processor = _topology.ProcessorFactory(task);
        task.Processor.Init(task);
        return _tasks[partition] = task;
    }

    public void Dispose()
    {
        foreach (var task in _tasks.Values) task.Processor?.Close();
    }
}
