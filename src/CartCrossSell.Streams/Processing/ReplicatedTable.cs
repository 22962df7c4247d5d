using System.Collections;
using System.Text;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Crosscutting;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.Enumerator;
using Streamiz.Kafka.Net.State.Supplier;

namespace CartCrossSell.Streams.Processing;

/// <summary>A table a topology reads in full on every instance (a Streamiz global store); see <see cref="ReplicatedTable{T}"/>.</summary>
public interface IReplicated
{
    /// <summary>The compacted topic the table mirrors.</summary>
    string Topic { get; }

    /// <summary>Adds the table to a topology as a global store: its group reads the whole topic before processing anything.</summary>
    void AddTo(StreamBuilder builder);

    /// <summary>Records of the topic the table ignored, each logged: they did not decode, or the table refused them.</summary>
    long Rejected { get; }
}

public static class Replicated
{
    /// <summary>
    /// Adds, as global stores, those of a topology's lookups that are replicated tables (an in-memory catalog given by a
    /// test or a batch command is not), and returns the topics they read, which the group then counts as inputs. With
    /// <paramref name="metrics"/>, the records each table ignores are counted under the group's name.
    /// </summary>
    public static IReadOnlyList<string> AddTo(StreamBuilder builder, StreamsMetrics? metrics, string group, params object?[] lookups)
    {
        var topics = new List<string>();
        foreach (var table in lookups.OfType<IReplicated>())
        {
            table.AddTo(builder);
            metrics?.CountIgnored(group, table);
            topics.Add(table.Topic);
        }
        return topics;
    }
}

/// <summary>
/// A compacted topic materialised in full, decoded, on every instance of a topology group: a Streamiz global store
/// (Kafka Streams' global table) whose storage is a dictionary of decoded values, so the engine reads typed values
/// without decoding on every lookup. The group's global thread reads every partition from the beginning before any
/// task processes (bootstrap), then keeps following the topic; the latest value per key wins, a tombstone deletes, a
/// value that does not decode is logged and counted (the writer of the topic validates; every instance reads it, so
/// there is no one to dead-letter it). Reads are lock-free and safe from any thread.
/// </summary>
/// <remarks>
/// Streamiz takes a global store only as a key-value store of bytes, so this is one, over the decoded values (a value
/// read through it is encoded again; nothing keeps the raw bytes twice). One instance serves one
/// <see cref="KafkaStream"/>: two groups in one process each keep their own copy, each consistent with its own global
/// thread.
/// </remarks>
public sealed class ReplicatedTable<T> : IKeyValueStore<Bytes, byte[]>, IReplicated where T : class
{
    private readonly IValueCodec<T> _codec;
    private readonly ILogger _log;
    private readonly DecodedEntries<T> _entries;

    /// <param name="storage">Where the decoded values live (default: as decoded).</param>
    /// <param name="refuse">The reason a decoded value may not be stored under its key (see <see cref="DecodedEntries{T}"/>).</param>
    /// <param name="bootstrapNewest">
    /// For a storage that keeps only its newest values (by arrival) whatever the keys, not the latest value per key: the
    /// bootstrap applies only the newest this many records by record timestamp (equal timestamps: the later read), oldest
    /// first, and decodes nothing else. Streamiz's bootstrap reads the partitions one after the other, so without it the
    /// newest records read are the last partitions' newest, not the topic's; and every record the topic retains would be
    /// decoded, to be forgotten again. Null (the default): every record is applied in the order read.
    /// </param>
    public ReplicatedTable(string topic, IValueCodec<T> codec, ILoggerFactory loggers, ITableStorage<T>? storage = null,
        Func<string, T, string?>? refuse = null, int? bootstrapNewest = null)
    {
        if (bootstrapNewest is < 1) throw new ArgumentOutOfRangeException(nameof(bootstrapNewest), bootstrapNewest, "must be at least 1");
        Topic = topic;
        Name = topic + "-table";
        _codec = codec;
        _log = loggers.CreateLogger($"CartCrossSell.Streams.ReplicatedTable.{topic}");
        _entries = new DecodedEntries<T>(topic, codec, _log, storage, refuse);
        _bootstrapNewest = bootstrapNewest;
    }

    private readonly int? _bootstrapNewest;

    // The records of a bootstrap that applies only the newest (bootstrapNewest), kept undecoded until it ends.
    private NewestRecords<(string? Key, byte[]? Value)>? _bootstrap;

    /// <summary>Records the last bootstrap read, and how many of them it applied (all of them unless it applies only the newest).</summary>
    public (long Read, long Applied) Bootstrap { get; private set; }

    /// <summary>Called on the global thread after a value is stored or deleted (value null), for secondary indexes.</summary>
    public event Action<string, T?, T?>? Changed
    {
        add => _entries.Changed += value;
        remove => _entries.Changed -= value;
    }

    public string Topic { get; }
    public string Name { get; }
    public int Count => _entries.Count;
    public long Applied => _entries.Applied;
    /// <summary>Records that did not decode, or that the storage or a change handler refused.</summary>
    public long Rejected => _entries.Rejected;

    /// <summary>How often the table may have changed (records stored, clears), counted after each is visible.</summary>
    public long Changes => _entries.Changes;

    public T? Find(string key) => _entries.Find(key);

    public IEnumerable<KeyValuePair<string, T>> Entries => _entries.Entries;

    public void AddTo(StreamBuilder builder) =>
        builder.AddGlobalStore(
            Stores.KeyValueStoreBuilder(new Supplier(this), new StringSerDes(), new ByteArraySerDes()).WithLoggingDisabled().WithCachingDisabled(),
            Topic,
            ProcessorBuilder.New<string, byte[]>().Processor(record => Read(record.Key, record.Value, record.Timestamp.UnixTimestampMs)).Build(),
            new StringSerDes(), new ByteArraySerDes(), new InputTimestamps(), Topic + "-table-updater");

    /// <summary>Applies one record of the topic: a value replaces the key's entry, a tombstone deletes it. Returns the previous value.</summary>
    public T? Apply(string? key, byte[]? value) => _entries.Apply(key, value);

    /// <summary>
    /// A record of the topic, through the global store's processor: Streamiz 1.8.2 runs the bootstrap through it as well
    /// (inside <see cref="Init"/>'s Register), and then the records that follow.
    /// </summary>
    private void Read(string? key, byte[]? value, long timestamp)
    {
        if (_registering && _bootstrap is { } newest)
        {
            newest.Offer((key, value), timestamp);
            return;
        }
        EndBootstrap();
        if (_registering) Bootstrap = (Bootstrap.Read + 1, Bootstrap.Applied + 1);
        Apply(key, value);
    }

    /// <summary>A record of the bootstrap through the restore callback (another Streamiz version's way): the same as <see cref="Read"/>.</summary>
    private void Restore(Bytes? key, byte[]? value, long timestamp) => Read(KeyOf(key), value, timestamp);

    // True while Register runs: the records read then are the bootstrap's.
    private bool _registering;

    /// <summary>Applies the newest records a bootstrap kept, oldest first (nothing to do unless one is pending).</summary>
    private void EndBootstrap()
    {
        if (_bootstrap is not { } newest) return;
        _bootstrap = null;
        var records = newest.TakeOldestFirst();
        foreach (var (key, value) in records) Apply(key, value);
        Bootstrap = (newest.Offered, records.Count);
        _log.LogInformation("table {Topic}: the bootstrap read {Read} records and applied the newest {Applied}", Topic, newest.Offered, records.Count);
    }

    // The key-value store of bytes Streamiz sees: writes come from the bootstrap and the records that follow, through Read.
    public bool Persistent => false;
    public bool IsLocally => true;
    public bool IsOpen { get; private set; }

    public void Init(ProcessorContext context, IStateStore root)
    {
        _entries.Clear();
        Bootstrap = (0, 0);
        _bootstrap = _bootstrapNewest is { } limit ? new NewestRecords<(string?, byte[]?)>(limit) : null;
        _log.LogInformation("table {Topic}: opened; the bootstrap reads the topic from the beginning{Newest}", Topic,
            _bootstrapNewest is { } n ? $" and applies the newest {n} records" : "");
        // The bootstrap: Streamiz reads the topic from the beginning before the group processes. 1.8.2 reads it inside
        // Register, one partition after the other, through the global store's processor (Read), not this callback.
        _registering = true;
        try
        {
            context.Register(root, (key, value, timestamp) => Restore(key, value, timestamp));
        }
        finally
        {
            _registering = false;
        }
        IsOpen = true;
        EndBootstrap();
    }

    public void Flush() => EndBootstrap();
    public void Close() => IsOpen = false;

    public byte[] Get(Bytes key) => KeyOf(key) is { } k ? Encode(Find(k)) : null!;
    public void Put(Bytes key, byte[] value) => Apply(KeyOf(key), value);
    public byte[] PutIfAbsent(Bytes key, byte[] value) => KeyOf(key) is { } k && _entries.Contains(k) ? Get(key) : Encode(Apply(KeyOf(key), value));

    public void PutAll(IEnumerable<KeyValuePair<Bytes, byte[]>> entries)
    {
        foreach (var (key, value) in entries) Put(key, value);
    }

    public byte[] Delete(Bytes key) => Encode(Apply(KeyOf(key), null));
    public long ApproximateNumEntries() => _entries.Count;
    public IEnumerable<KeyValuePair<Bytes, byte[]>> All() => Sorted(null, null, reverse: false);
    public IEnumerable<KeyValuePair<Bytes, byte[]>> ReverseAll() => Sorted(null, null, reverse: true);
    public IKeyValueEnumerator<Bytes, byte[]> Range(Bytes from, Bytes to) => new ListEnumerator(Sorted(from, to, reverse: false).ToList());
    public IKeyValueEnumerator<Bytes, byte[]> ReverseRange(Bytes from, Bytes to) => new ListEnumerator(Sorted(from, to, reverse: true).ToList());

    private static string? KeyOf(Bytes? key) => key?.Get is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    private byte[] Encode(T? value) => value is null ? null! : _codec.Encode(value);

    private IEnumerable<KeyValuePair<Bytes, byte[]>> Sorted(Bytes? from, Bytes? to, bool reverse)
    {
        var keys = _entries.Entries.Select(e => e.Key).Select(k => Bytes.Wrap(Encoding.UTF8.GetBytes(k)))
            .Where(k => (from is null || k.CompareTo(from) >= 0) && (to is null || k.CompareTo(to) <= 0));
        var ordered = reverse ? keys.OrderDescending() : keys.Order();
        foreach (var key in ordered)
            if (_entries.Find(KeyOf(key)!) is { } value) yield return new(key, _codec.Encode(value));
    }

    private sealed class Supplier(ReplicatedTable<T> table) : IKeyValueBytesStoreSupplier
    {
        public string Name { get => table.Name; set { } }
        public string MetricsScope => "replicated-table";
        public IKeyValueStore<Bytes, byte[]> Get() => table;
    }

    private sealed class ListEnumerator(List<KeyValuePair<Bytes, byte[]>> entries) : IKeyValueEnumerator<Bytes, byte[]>
    {
        private int _index = -1;

        public KeyValuePair<Bytes, byte[]>? Current => _index >= 0 && _index < entries.Count ? entries[_index] : null;
        object IEnumerator.Current => Current!;
        public Bytes PeekNextKey() => _index + 1 < entries.Count ? entries[_index + 1].Key : null!;
        public bool MoveNext() => ++_index < entries.Count;
        public void Reset() => _index = -1;
        public void Dispose() { }
    }
}
