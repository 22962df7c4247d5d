using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Streams;

/// <summary>
/// Where a table's decoded values live. The default keeps each value as decoded; a table whose values have a more
/// compact form (the learned rows, see the recommender's <c>NeighborTable</c>) keeps only that, and rebuilds a value
/// when asked for one. One thread stores; any thread reads.
/// </summary>
public interface ITableStorage<T> where T : class
{
    int Count { get; }
    T? Find(string key);
    bool Contains(string key);
    IEnumerable<KeyValuePair<string, T>> Entries { get; }

    /// <summary>
    /// Stores a value (null deletes the key) and returns the previous one. A storage that keeps values in another form
    /// may return null when it replaces a value (rebuilding the old one only to pass it on would double the work of every
    /// update); it returns the deleted value on a delete.
    /// </summary>
    T? Store(string key, T? value);

    void Clear();
}

/// <summary>The decoded values as they are, in a concurrent dictionary.</summary>
public sealed class DecodedValues<T> : ITableStorage<T> where T : class
{
    private readonly ConcurrentDictionary<string, T> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;
    public T? Find(string key) => _entries.GetValueOrDefault(key);
    public bool Contains(string key) => _entries.ContainsKey(key);
    public IEnumerable<KeyValuePair<string, T>> Entries => _entries;
    public void Clear() => _entries.Clear();

    public T? Store(string key, T? value)
    {
        if (value is null) return _entries.TryRemove(key, out var removed) ? removed : null;
        T? previous = null;
        _entries.AddOrUpdate(key, value, (_, old) => { previous = old; return value; });
        return previous;
    }
}

/// <summary>
/// The latest decoded value per key of a compacted topic: a value replaces the key's entry, a tombstone deletes it, a
/// value that does not decode is logged and counted and the key keeps its entry. Shared by the topologies' global
/// stores (<see cref="Processing.ReplicatedTable{T}"/>) and the tools' reader (<see cref="GlobalTable{T}"/>). Reads are
/// lock-free and safe from any thread; one thread applies.
/// </summary>
/// <param name="refuse">The reason a decoded value may not be stored under its key (null: it may), checked before it is
/// stored: a catalog record keyed by another product's sku, say.</param>
public sealed class DecodedEntries<T>(string topic, IValueCodec<T> codec, ILogger log, ITableStorage<T>? storage = null,
    Func<string, T, string?>? refuse = null) where T : class
{
    private readonly ITableStorage<T> _entries = storage ?? new DecodedValues<T>();
    private long _applied, _rejected, _changes;

    /// <summary>
    /// Raised after a value is stored or deleted (value null), for secondary indexes: key, previous value (null when the
    /// key is new, or when the storage does not rebuild replaced values, see <see cref="ITableStorage{T}.Store"/>), current value.
    /// </summary>
    public event Action<string, T?, T?>? Changed;

    public int Count => _entries.Count;
    public long Applied => Interlocked.Read(ref _applied);
    /// <summary>Records ignored: without a key, not decoding, or refused (the table's rule, the storage, a change handler).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// How often the entries may have changed: every record that reached the storage (refused ones too: they may have
    /// been seen) and every clear, each counted after its change and the handlers' are visible. What a reader computed
    /// from the table while this count stayed the same is still what the table holds. A volatile read, not
    /// <see cref="Interlocked.Read(ref long)"/>: the catalog's count is read once per ranked candidate on every stream
    /// thread (the ranking's memo of catalog facts), and a locked read on each made the recommender's drain slower.
    /// </summary>
    public long Changes => Volatile.Read(ref _changes);

    public T? Find(string key) => _entries.Find(key);

    public bool Contains(string key) => _entries.Contains(key);

    public IEnumerable<KeyValuePair<string, T>> Entries => _entries.Entries;

    public void Clear()
    {
        _entries.Clear();
        Interlocked.Increment(ref _changes);
    }

    /// <summary>
    /// Applies one record of the topic and returns the key's previous value. A record the storage or a change handler
    /// cannot take (a value that decodes but that they refuse) is logged and counted like one that does not decode: the
    /// topic is read in full at every start, so one such record must not stop the reader each time.
    /// </summary>
    public T? Apply(string? key, byte[]? value)
    {
        if (key is null)
        {
            // A compacted table is keyed: a record without one cannot be stored, nor deleted. Ignored, but counted.
            Reject(null, "the record key is missing");
            return null;
        }
        T? current = null;
        if (value is not null)
        {
            Decoded<T> decoded;
            try
            {
                decoded = codec.Decode(value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A codec should answer a failure, not throw; one that throws on a record must not stop the reader at
                // every start either.
                decoded = Decoded<T>.Failure(DeadLetterKinds.Unparseable, $"the value does not decode: {e.Message}");
            }
            if (!decoded.Ok)
            {
                Reject(key, decoded.FailureReason!);
                return _entries.Find(key);
            }
            current = decoded.Value!;
            if (refuse?.Invoke(key, current) is { } reason)
            {
                Reject(key, reason);
                return _entries.Find(key);
            }
        }
        try
        {
            return Store(key, current);
        }
        finally
        {
            Interlocked.Increment(ref _changes);
        }
    }

    private T? Store(string key, T? current)
    {
        var existed = _entries.Contains(key);
        T? previous;
        try
        {
            previous = _entries.Store(key, current);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Reject(key, $"{e.GetType().Name}: {e.Message}");
            return null;
        }
        try
        {
            if (current is not null || previous is not null) Changed?.Invoke(key, previous, current);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A refused record changes nothing: the storage goes back to what the handlers' indexes still hold (readers
            // on other threads may have seen the refused value meanwhile). A storage that does not rebuild replaced values
            // cannot go back; its handlers never refuse (the learned rows only count). Each table has one handler, so no
            // other index went ahead.
            try
            {
                if (previous is not null) _entries.Store(key, previous);
                else if (!existed) _entries.Store(key, null);
            }
            catch (Exception rollback) when (rollback is not OutOfMemoryException)
            {
                log.LogWarning(rollback, "table {Topic}: key '{Key}' could not be put back after a refused record", topic, key);
            }
            Reject(key, $"{e.GetType().Name}: {e.Message}");
            return previous;
        }
        Interlocked.Increment(ref _applied);
        return previous;
    }

    private void Reject(string? key, string reason)
    {
        Interlocked.Increment(ref _rejected);
        log.LogWarning("table {Topic}: key '{Key}' ignored: {Reason}", topic, key, reason);
    }
}
