using System.Text;
using Confluent.Kafka;

namespace CartCrossSell.Streams;

/// <summary>A partition-local key-value state store. Every change is logged to the store's changelog topic.</summary>
public interface IKeyValueStore<TValue> where TValue : class
{
    string Name { get; }
    int Count { get; }
    TValue? Get(string key);
    void Put(string key, TValue value);
    void Delete(string key);
    IEnumerable<KeyValuePair<string, TValue>> All();
}

/// <summary>Declares a store of a topology: its name (a legal topic name) and the codec of its values.</summary>
public sealed record StoreSpec(string Name, Func<ChangeloggedStoreBase> Create)
{
    public static StoreSpec KeyValue<TValue>(string name, IValueCodec<TValue> codec) where TValue : class
    {
        if (!TopicNames.IsLegal(name)) throw new ArgumentException($"store name '{name}' must be a legal topic name", nameof(name));
        return new StoreSpec(name, () => new ChangeloggedStore<TValue>(name, codec));
    }
}

/// <summary>The layer's view of a store: restore from and flush to the changelog, and the applied-offset marker.</summary>
public abstract class ChangeloggedStoreBase
{
    /// <summary>Changelog key of the marker record: the highest input offset whose effect the logged state includes.</summary>
    internal static readonly byte[] MarkerKey = Encoding.UTF8.GetBytes("\u0000applied-offset");

    protected ChangeloggedStoreBase(string name) => Name = name;

    public string Name { get; }

    /// <summary>Input offsets at or below this were applied before the last restart: writes for them are ignored.</summary>
    public long RestoredThrough { get; private set; } = -1;

    internal Func<long> CurrentOffset { get; set; } = () => long.MaxValue;

    /// <summary>True while the current record was already applied to this store (a replay after a crash).</summary>
    protected bool IsReplay => CurrentOffset() <= RestoredThrough;

    private long _markerWritten = -1;

    internal void RestoreRecord(byte[] key, byte[]? value)
    {
        if (key.AsSpan().SequenceEqual(MarkerKey))
        {
            if (value is not null) _markerWritten = RestoredThrough = long.Parse(Encoding.UTF8.GetString(value), System.Globalization.CultureInfo.InvariantCulture);
            return;
        }
        RestoreEntry(Encoding.UTF8.GetString(key), value);
    }

    protected abstract void RestoreEntry(string key, byte[]? value);

    /// <summary>
    /// Produces every changed entry (tombstones for deletes) and then the marker for <paramref name="appliedThrough"/>;
    /// nothing at all when neither the entries nor the applied offset changed since the last write.
    /// </summary>
    internal int WriteChangelog(IProducer<byte[], byte[]?> producer, string topic, int partition, long appliedThrough, Action<DeliveryReport<byte[], byte[]?>> onDelivery)
    {
        if (!HasDirtyEntries && appliedThrough == _markerWritten) return 0;
        _markerWritten = appliedThrough;
        var written = WriteDirtyEntries(producer, new TopicPartition(topic, new Partition(partition)), onDelivery);
        producer.Produce(new TopicPartition(topic, new Partition(partition)),
            new Message<byte[], byte[]?> { Key = MarkerKey, Value = Encoding.UTF8.GetBytes(appliedThrough.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            onDelivery);
        return written;
    }

    protected abstract bool HasDirtyEntries { get; }

    protected abstract int WriteDirtyEntries(IProducer<byte[], byte[]?> producer, TopicPartition target, Action<DeliveryReport<byte[], byte[]?>> onDelivery);
}

/// <summary>
/// An in-memory store whose changes are logged, keyed by the entry key, to a changelog partition equal to the input
/// partition. Only the latest value of a key changed since the last flush is logged, so a hot cart costs one
/// changelog record per commit, not one per event.
/// </summary>
public sealed class ChangeloggedStore<TValue> : ChangeloggedStoreBase, IKeyValueStore<TValue> where TValue : class
{
    private readonly IValueCodec<TValue> _codec;
    private readonly Dictionary<string, TValue> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);

    public ChangeloggedStore(string name, IValueCodec<TValue> codec) : base(name) => _codec = codec;

    public int Count => _entries.Count;

    public TValue? Get(string key) => _entries.GetValueOrDefault(key);

    public void Put(string key, TValue value)
    {
        if (IsReplay) return;
        _entries[key] = value;
        _dirty.Add(key);
    }

    public void Delete(string key)
    {
        if (IsReplay) return;
        if (_entries.Remove(key)) _dirty.Add(key);
    }

    public IEnumerable<KeyValuePair<string, TValue>> All() => _entries;

    protected override void RestoreEntry(string key, byte[]? value)
    {
        if (value is null)
        {
            _entries.Remove(key);
            return;
        }
        var decoded = _codec.Decode(value);
        if (!decoded.Ok)
            throw new InvalidDataException($"store '{Name}': changelog entry '{key}' does not decode: {decoded.FailureReason}");
        _entries[key] = decoded.Value!;
    }

    protected override bool HasDirtyEntries => _dirty.Count > 0;

    protected override int WriteDirtyEntries(IProducer<byte[], byte[]?> producer, TopicPartition target, Action<DeliveryReport<byte[], byte[]?>> onDelivery)
    {
        var written = 0;
        foreach (var key in _dirty)
        {
            var value = _entries.TryGetValue(key, out var v) ? _codec.Encode(v) : null;
            producer.Produce(target, new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value }, onDelivery);
            written++;
        }
        _dirty.Clear();
        return written;
    }
}
