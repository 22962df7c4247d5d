using System.Reflection;
using CartCrossSell.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net.Processors.Public;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The common front of every processor of the service, as a Streamiz transformer: it admits the raw record (a
/// tombstone, an oversized or undecodable value, or a processing error becomes a dead letter with kind, reason and
/// source coordinates, and the partition keeps flowing), then hands the typed record to <see cref="Process(InputRecord{T})"/>.
/// Everything a processor emits is a <see cref="Routed"/> record, so outputs and dead letters leave through one sink.
/// </summary>
/// <remarks>
/// A processor writes its stores only after it has computed everything for the record, so a processing error leaves
/// state as it was.
/// </remarks>
public abstract class RecordProcessor<T> : ITransformer<string, byte[], string, Routed>
{
    private readonly ProcessorRuntime _runtime;
    private readonly IValueCodec<T> _codec;
    private ProcessorContext<string, Routed> _context = null!;
    private string? _currentKey;
    private byte[]? _currentPayload;

    protected RecordProcessor(ProcessorRuntime runtime, IValueCodec<T> codec)
    {
        _runtime = runtime;
        _codec = codec;
    }

    /// <summary>The processor's name, as dead letters and metrics show it.</summary>
    protected string Name => _runtime.Name;

    protected TimeProvider Clock => _runtime.Clock;

    /// <summary>This instance's processing metrics, when the topology was built with them.</summary>
    protected StreamsMetrics? Metrics => _runtime.Metrics;

    /// <summary>
    /// The largest state record this processor may write, encoded (<c>Streams:MaxStateRecordBytes</c>): a larger one
    /// the changelog's producer could refuse, which stops the thread at the same input after every restart.
    /// </summary>
    protected int MaxStateBytes => _runtime.MaxStateBytes;

    /// <summary>The record being processed.</summary>
    protected RecordCoordinates Current { get; private set; }

    /// <summary>The input partition this processor instance serves.</summary>
    protected int Partition => _context.Partition.Value;

    protected ProcessorContext<string, Routed> Context => _context;

    public void Init(ProcessorContext<string, Routed> context)
    {
        _context = context;
        Init();
    }

    /// <summary>
    /// Looks stores up and schedules punctuations. Streamiz calls this <b>before</b> it restores the stores (Kafka
    /// Streams calls it after): whatever is derived from a store's contents must wait for <see cref="StoresRestored"/>.
    /// </summary>
    protected virtual void Init() { }

    /// <summary>
    /// True once this task's stores hold their restored state. <see cref="Process(InputRecord{T})"/> only ever runs
    /// then; punctuations also run while a task restores, so a punctuation that reads a whole store checks this first.
    /// </summary>
    protected bool StoresRestored => _restored || (TaskState.IsRunning(_context) && Restored());

    private bool _restored;

    private bool Restored()
    {
        _restored = true;
        if (!TaskState.CheckpointAsTheLogGrows(_context))
            _runtime.Log.LogWarning("{Processor}: Streamiz's task has no offsetLastSnapshotOffset: its checkpoint is written only at a close (review TaskState.CheckpointAsTheLogGrows)", Name);
        return true;
    }

    /// <summary>
    /// The partition count of a topic this processor sends to, as the task's producer knows it (its metadata, refreshed
    /// every few minutes): for a processor that must know, before it sends, which partition owns a key
    /// (<see cref="KeyPartitioning"/>). Ask once per task, in <see cref="Init()"/> or at the first record: the question
    /// builds a client configuration.
    /// </summary>
    protected int PartitionsOf(string topic)
    {
        var partitions = TaskState.PartitionsFor(_context, topic);
        return partitions > 0 ? partitions : throw new InvalidOperationException($"{Name}: topic '{topic}' has no partitions the producer knows of");
    }

    protected TStore Store<TStore>(string name) where TStore : class =>
        _context.GetStateStore(name) as TStore
        ?? throw new InvalidOperationException($"{Name}: store '{name}' is not connected to this processor or is not a {typeof(TStore).Name}");

    public Record<string, Routed> Process(Record<string, byte[]> record)
    {
        CommitStepKill.Processing();
        if (!_restored) Restored(); // Streamiz processes records of running tasks only
        Current = new RecordCoordinates(_context.Topic, _context.Partition.Value, _context.Offset, DateTimeOffset.FromUnixTimeMilliseconds(_context.Timestamp));
        _currentKey = record.Key;
        _currentPayload = record.Value;
        DropHeaders(record.Headers);
        if (record.Value is null && AcceptsTombstones)
        {
            Tombstone(record.Key);
            return null!;
        }
        var decoded = InputGate.Admit(record.Value, _codec, _runtime.MaxRecordBytes);
        if (!decoded.Ok)
        {
            DeadLetter(decoded.FailureKind!, decoded.FailureReason!);
            return null!;
        }
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Process(new InputRecord<T>(Current, record.Key, decoded.Value!));
            _runtime.Metrics?.Processed(Name, Current.Topic, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OutOfMemoryException and not EffectFailedException)
        {
            // One record that a processor cannot handle must not stop the partition: it is kept as a dead letter.
            _runtime.Log.LogError(e, "{Processor}: processing {Topic}/{Partition}@{Offset} failed", Name, Current.Topic, Current.Partition, Current.Offset);
            DeadLetter(DeadLetterKinds.ProcessingError, $"{e.GetType().Name}: {e.Message}");
        }
        // Outputs were forwarded while processing; nothing is returned through the transformer itself.
        return null!;
    }

    protected abstract void Process(InputRecord<T> record);

    /// <summary>
    /// True for a processor of a table topic, where a tombstone deletes a key: it then goes to <see cref="Tombstone"/>
    /// instead of dead letters. Default false: on an event topic a tombstone is not an event.
    /// </summary>
    protected virtual bool AcceptsTombstones => false;

    /// <summary>A tombstone for <paramref name="key"/> (only when <see cref="AcceptsTombstones"/>).</summary>
    protected virtual void Tombstone(string? key) { }

    /// <summary>
    /// Streamiz gives every output the headers of the input being processed; the service reads none, and a producer's
    /// headers of most of a megabyte would make every output of the record (a dead letter, ten repartition records)
    /// larger than the producer accepts. Outputs leave without them.
    /// </summary>
    private static void DropHeaders(Confluent.Kafka.Headers? headers)
    {
        if (headers is null || headers.Count == 0) return;
        foreach (var key in headers.Select(h => h.Key).Distinct(StringComparer.Ordinal).ToArray()) headers.Remove(key);
    }

    /// <summary>
    /// Sends a record to a topic; it is produced before the input offset commits. A timestamp Kafka would refuse
    /// (before 1970) or that time-based retention would misjudge (more than a day ahead) is replaced by the wall
    /// clock: one record's timestamp must not fail the producer, which stops the thread on every replay.
    /// </summary>
    protected void Send(string topic, string key, byte[] value, DateTimeOffset timestamp)
    {
        var now = Clock.GetUtcNow();
        if (timestamp < DateTimeOffset.UnixEpoch || timestamp > now.AddDays(1)) timestamp = now;
        _context.Forward(key, new Routed(topic, key, value, timestamp));
    }

    /// <summary>
    /// Sends the current input record to <c>dead-letters</c> with a kind and reason; processing continues. Nothing here
    /// can stop the partition: the envelope is cut to what the producer accepts (<see cref="DeadLetters.Record"/>), and
    /// should building it fail all the same, a minimal envelope without the payload (the coordinates fetch it) is sent.
    /// </summary>
    protected void DeadLetter(string kind, string reason)
    {
        var now = Clock.GetUtcNow();
        DeadLetterRecord letter;
        try
        {
            letter = DeadLetters.Record(kind, reason, Current, _currentKey, _currentPayload, Name, now, _runtime.MaxDeadLetterBytes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _runtime.Log.LogError(e, "{Processor}: the dead letter of {Topic}/{Partition}@{Offset} is sent without its payload", Name, Current.Topic, Current.Partition, Current.Offset);
            letter = DeadLetters.Record(kind, $"{reason} (payload left out: {e.GetType().Name})", Current, null, null, Name, now, _runtime.MaxDeadLetterBytes);
        }
        Send(Topics.DeadLetters, letter.Key, letter.Value, now);
        _runtime.Metrics?.DeadLettered(Name, Current.Topic, kind);
        _runtime.Log.LogWarning("{Processor}: dead-lettered {Topic}/{Partition}@{Offset} ({Kind}): {Reason}",
            Name, Current.Topic, Current.Partition, Current.Offset, kind, letter.Envelope.Reason);
    }

    /// <summary>
    /// False, and an <c>implausible-time</c> dead letter, when the event's own time is more than
    /// <c>Streams:MaxFutureSkew</c> ahead of the clock (or <paramref name="maxAhead"/>, when that is less: a processor
    /// whose stream time closes windows cannot take events further ahead than its grace) or older than <paramref name="maxAge"/>.
    /// </summary>
    protected bool PlausibleTime(DateTimeOffset at, TimeSpan maxAge, TimeSpan? maxAhead = null)
    {
        var now = Clock.GetUtcNow();
        var ahead = maxAhead is { } m && m < _runtime.MaxFutureSkew ? m : _runtime.MaxFutureSkew;
        if (at - now > ahead)
        {
            DeadLetter(DeadLetterKinds.ImplausibleTime, $"timestamp {at:O} is more than {ahead} ahead of the clock ({now:O})");
            return false;
        }
        if (now - at > maxAge)
        {
            DeadLetter(DeadLetterKinds.ImplausibleTime, $"timestamp {at:O} is older than the {maxAge} allowed (clock {now:O})");
            return false;
        }
        return true;
    }

    /// <summary>False, and a <c>key-mismatch</c> dead letter, when the record's key is not the id its topic is keyed by.</summary>
    protected bool KeyedBy(string? key, string id, string idName)
    {
        if (string.Equals(key, id, StringComparison.Ordinal)) return true;
        DeadLetter(DeadLetterKinds.KeyMismatch, key is null
            ? $"the record key is missing: {Current.Topic} is keyed by the event's {idName} ('{id}')"
            : $"the record key '{Shorten(key)}' is not the event's {idName} '{id}'");
        return false;
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..157] + "...";

    public virtual void Close() { }
}

/// <summary>
/// Whether a Streamiz task has finished restoring. Streamiz 1.8.2 exposes no restore-complete hook to processors, so
/// this reads the task's state through the processor context (internal members, resolved once; the pinned Streamiz
/// version is tested by every topology test, and a version without them fails at the first punctuation, loudly).
/// </summary>
internal static class TaskState
{
    private const System.Reflection.BindingFlags Any = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic;

    public static bool IsRunning<TKey, TValue>(ProcessorContext<TKey, TValue> context) => IsRunning(Inner(context));

    /// <summary>A topic's partition count from the task's record collector (its producer's metadata); -1 if unknown.</summary>
    public static int PartitionsFor<TKey, TValue>(ProcessorContext<TKey, TValue> context, string topic)
    {
        var inner = Inner(context);
        var collector = inner.GetType().GetProperty("RecordCollector", Any)?.GetValue(inner)
                        ?? throw new InvalidOperationException("Streamiz ProcessorContext has no RecordCollector: review TaskState");
        var partitionsFor = collector.GetType().GetMethod("PartitionsFor", Any, [typeof(string)])
                            ?? throw new InvalidOperationException("Streamiz record collector has no PartitionsFor(topic): review TaskState");
        return (int)partitionsFor.Invoke(collector, [topic])!;
    }

    private static Streamiz.Kafka.Net.ProcessorContext Inner<TKey, TValue>(ProcessorContext<TKey, TValue> context) =>
        context.GetType().GetField("context", Any)?.GetValue(context) as Streamiz.Kafka.Net.ProcessorContext
        ?? throw new InvalidOperationException("Streamiz ProcessorContext no longer wraps an internal context: review TaskState");

    /// <summary>
    /// Lets a running task write its RocksDB checkpoint at a commit once 10,000 changelog records have passed since the
    /// last one, as Kafka Streams does. Streamiz 1.8.2 counts from the last checkpoint this task wrote and writes none
    /// at a commit until it has written one (at a close or a revocation): a task that runs from its start until a
    /// SIGKILL never checkpoints, and its restart replays every changelog record since the previous clean stop. An
    /// empty last snapshot makes the next commit write one. Idempotent; false when Streamiz no longer has the field (the
    /// caller logs it and goes on: checkpoints only shorten restores).
    /// </summary>
    public static bool CheckpointAsTheLogGrows<TKey, TValue>(ProcessorContext<TKey, TValue> context)
    {
        object task;
        try
        {
            task = TaskOf(Inner(context));
        }
        catch (InvalidOperationException)
        {
            return false; // a Streamiz whose context no longer reaches its task: said by the caller, never a stopped record
        }
        FieldInfo? snapshot = null;
        for (var type = task.GetType(); type is not null && snapshot is null; type = type.BaseType)
            snapshot = type.GetField("offsetLastSnapshotOffset", Any | BindingFlags.DeclaredOnly);
        if (snapshot is null || snapshot.FieldType != typeof(Dictionary<Confluent.Kafka.TopicPartition, long>)) return false;
        if (snapshot.GetValue(task) is null) snapshot.SetValue(task, new Dictionary<Confluent.Kafka.TopicPartition, long>());
        return true;
    }

    /// <summary>The same, from the context a store is initialised with.</summary>
    public static bool IsRunning(Streamiz.Kafka.Net.ProcessorContext context) => IsRunningTask(TaskOf(context));

    private static object TaskOf(Streamiz.Kafka.Net.ProcessorContext context) =>
        context.GetType().GetProperty("Task", Any)?.GetValue(context)
        ?? throw new InvalidOperationException("Streamiz ProcessorContext has no Task: review TaskState");

    /// <summary>
    /// Whether every active task of every stream thread of <paramref name="stream"/> runs: its stores restored. Streamiz
    /// 1.8.2 says RUNNING for the whole stream as soon as the partitions are assigned; the tasks, created then, go from
    /// CREATED through RESTORING to RUNNING only after that.
    /// </summary>
    public static bool AllActiveTasksRunning(Streamiz.Kafka.Net.KafkaStream stream)
    {
        var threads = typeof(Streamiz.Kafka.Net.KafkaStream).GetField("threads", Any)?.GetValue(stream) as System.Collections.IEnumerable
                      ?? throw new InvalidOperationException("Streamiz KafkaStream has no threads: review TaskState");
        foreach (var thread in threads)
        {
            if (thread is null) continue;
            var tasks = thread.GetType().GetProperty("ActiveTasks", Any)?.GetValue(thread) as System.Collections.IEnumerable
                        ?? throw new InvalidOperationException("Streamiz stream thread has no ActiveTasks: review TaskState");
            foreach (var task in tasks)
                if (task is not null && !IsRunningTask(task)) return false;
        }
        return true;
    }

    private static bool IsRunningTask(object task)
    {
        var state = task.GetType().GetProperty("State", Any)?.GetValue(task)
                    ?? throw new InvalidOperationException("Streamiz task has no State: review TaskState");
        return state.ToString() == "RUNNING";
    }
}

/// <summary>What every processor instance of one topology shares: its name, limits, clock, log and metrics.</summary>
public sealed record ProcessorRuntime(string Name, int MaxRecordBytes, TimeProvider Clock, ILogger Log, StreamsMetrics? Metrics)
{
    /// <summary>The producer's limit on one record: no dead letter is larger (<c>Streams:MaxDeadLetterBytes</c>).</summary>
    public int MaxDeadLetterBytes { get; init; } = StreamsOptions.DefaultMaxDeadLetterBytes;

    /// <summary>How far ahead of the clock an event's own time may be (<c>Streams:MaxFutureSkew</c>).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = StreamsOptions.DefaultMaxFutureSkew;

    /// <summary>The largest state record a processor may write, encoded (<c>Streams:MaxStateRecordBytes</c>).</summary>
    public int MaxStateBytes { get; init; } = StreamsOptions.DefaultMaxStateRecordBytes;

    public static ProcessorRuntime For(string name, StreamsOptions streams, ILoggerFactory? loggers = null, TimeProvider? clock = null, StreamsMetrics? metrics = null) =>
        new(name, streams.MaxRecordBytes, clock ?? TimeProvider.System, (loggers ?? NullLoggerFactory.Instance).CreateLogger("CartCrossSell.Processors." + name), metrics)
        {
            MaxDeadLetterBytes = streams.MaxDeadLetterBytes,
            MaxFutureSkew = streams.MaxFutureSkew,
            MaxStateBytes = streams.MaxStateRecordBytes,
        };
}
