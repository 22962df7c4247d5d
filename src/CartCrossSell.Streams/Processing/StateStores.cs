using Confluent.Kafka;
using RocksDbSharp;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.Streams.Processing;

/// <summary>Where a topology's state lives.</summary>
public enum StateStoreKind
{
    /// <summary>On local disk in RocksDB (default): a restart with its state directory restores only the changelog tail.</summary>
    RocksDb,

    /// <summary>On the heap: every start replays the whole changelog. For tests and small deployments.</summary>
    InMemory,
}

/// <summary>
/// The service's key-value stores: string keys, values in the project's codecs, logged to a changelog topic
/// (<c>{applicationId}-{store}-changelog</c>) so a lost instance's state is rebuilt elsewhere.
/// </summary>
public static class StateStores
{
    /// <param name="cached">
    /// Keep changes in Streamiz's record cache until the commit: a key changed many times between two commits costs one
    /// changelog record and one RocksDB write. Off for stores whose every write must be visible to a replay.
    /// </param>
    public static IStoreBuilder<IKeyValueStore<string, TValue>> KeyValue<TValue>(string name, IValueCodec<TValue> codec, StreamsOptions options, bool cached = false)
    {
        var builder = StreamizKeyValue(name, codec, options, cached);
        // A process armed for a crash test dies inside this store's flush too (CommitStepKill); no other process wraps it.
        return CommitStepKill.IsArmed ? new WrappedStoreBuilder<TValue>(builder, store => new CommitStepStore<TValue>(store)) : builder;
    }

    private static IStoreBuilder<IKeyValueStore<string, TValue>> StreamizKeyValue<TValue>(string name, IValueCodec<TValue> codec, StreamsOptions options, bool cached)
    {
        if (!TopicNames.IsLegal(name)) throw new ArgumentException($"store name '{name}' must be a legal topic name", nameof(name));
        var supplier = options.StateStore == StateStoreKind.RocksDb
            ? CheckpointFlushes.Deferring(Stores.PersistentKeyValueStore(name)) // memtables to disk at checkpoints, not every commit
            : Stores.InMemoryKeyValueStore(name);
        var builder = Stores.KeyValueStoreBuilder(supplier, new StringSerDes(), new CodecSerDes<TValue>(codec))
            .WithLoggingEnabled(new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        return cached ? builder.WithCachingEnabled(CacheSize.OfMb(options.StoreCacheMegabytes)) : builder.WithCachingDisabled();
    }

    /// <summary>
    /// A store whose values stay decoded between commits (<see cref="DecodedStore{TValue}"/>): for state a processor
    /// reads and rewrites at nearly every record, where decoding and encoding per record cost more than the work.
    /// Streamiz's own record cache is off below it (this store already writes each changed key once per commit).
    /// </summary>
    /// <param name="maxWeight">What the unchanged values kept decoded may weigh together, per task (changed ones are kept until the commit).</param>
    /// <param name="weigh">A value's weight (<see cref="DecodedCache{TValue}"/>); every value weighs one when not given.</param>
    public static IStoreBuilder<IKeyValueStore<string, TValue>> DecodedKeyValue<TValue>(string name, IValueCodec<TValue> codec, StreamsOptions options, long maxWeight,
        Func<TValue, long>? weigh = null)
        where TValue : class =>
        new WrappedStoreBuilder<TValue>(StreamizKeyValue(name, codec, options, cached: false),
            store => new DecodedStore<TValue>(store, new DecodedCache<TValue>(maxWeight, weigh ?? (_ => 1))));

    /// <summary>
    /// Visits every entry of a store through a range whose iterator is disposed when the visit ends (Streamiz's
    /// <c>All()</c> keeps a RocksDB iterator open until the store closes, and warns about it at every shutdown). The
    /// upper bound sorts after every key of up to <see cref="MaxKeyChars"/> characters.
    /// </summary>
    public static void ForEach<TValue>(IKeyValueStore<string, TValue> store, Action<string, TValue> visit) =>
        ForEachAfter(store, after: null, int.MaxValue, visit);

    /// <summary>
    /// Visits at most <paramref name="max"/> entries in key order, starting after <paramref name="after"/> (null: from
    /// the first), and returns the last key visited, or null once the walk has reached the end. A long walk done in
    /// slices keeps a stream thread polling: one punctuation over a million learned rows took a minute.
    /// </summary>
    public static string? ForEachAfter<TValue>(IKeyValueStore<string, TValue> store, string? after, int max, Action<string, TValue> visit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        using var range = store.Range(after ?? string.Empty, AfterEveryKey);
        string? last = null;
        var visited = 0;
        while (range.MoveNext())
        {
            if (range.Current is not { } entry || (after is not null && entry.Key == after)) continue; // the range includes its lower bound
            visit(entry.Key, entry.Value);
            last = entry.Key;
            if (++visited == max) return last;
        }
        return null;
    }

    /// <summary>Longest key <see cref="ForEach{TValue}"/> is sure to visit; the service's keys are ids of at most 128 characters plus a prefix.</summary>
    public const int MaxKeyChars = 1024;

    private static readonly string AfterEveryKey = string.Concat(Enumerable.Repeat("\U0010FFFF", MaxKeyChars));

    /// <summary>
    /// Bounds RocksDB's memory for every store of a topology group (one configuration, one <c>KafkaStream</c>): one LRU
    /// block cache shared by the group's stores (the <c>Streams:RocksDbBlockCacheMegabytes</c> option; a process running
    /// several groups holds one per group) and small write buffers per store partition. Without it every
    /// store partition gets RocksDB's defaults (an 8 MiB cache and up to two 64 MiB memtables each).
    /// </summary>
    public static Action<string, RocksDbOptions> BoundedRocksDb(StreamsOptions options)
    {
        var cache = Cache.CreateLru((ulong)options.RocksDbBlockCacheMegabytes * 1024 * 1024);
        return (_, rocks) =>
        {
            var table = new BlockBasedTableOptions().SetBlockCache(cache).SetCacheIndexAndFilterBlocks(true);
            rocks.SetBlockBasedTableFactory(table);
            rocks.SetWriteBufferSize((ulong)options.RocksDbWriteBufferMegabytes * 1024 * 1024);
            rocks.SetMaxWriteBufferNumber(2);
        };
    }
}

/// <summary>A Streamiz serializer over the project's codecs. A store value that does not decode is corruption: it throws.</summary>
public sealed class CodecSerDes<T>(IValueCodec<T> codec) : AbstractSerDes<T>
{
    public override byte[] Serialize(T data, SerializationContext context) => data is null ? null! : codec.Encode(data);

    public override T Deserialize(byte[] data, SerializationContext context)
    {
        if (data is null) return default!;
        var decoded = codec.Decode(data);
        return decoded.Ok ? decoded.Value! : throw new InvalidDataException($"stored {typeof(T).Name} does not decode: {decoded.FailureReason}");
    }
}
