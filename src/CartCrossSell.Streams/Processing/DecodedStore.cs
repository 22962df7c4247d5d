using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.Enumerator;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// A key-value store that keeps values decoded between commits: a read returns the object last written or read (no
/// decoding), a write only replaces it, and the commit encodes each changed key once, into the store below it (RocksDB
/// or memory, logged to the changelog). A busy key, such as a cart that takes ten events between two commits or a
/// learned row that a hundred orders touch, is decoded once and encoded once per commit instead of at every event.
/// </summary>
/// <remarks>
/// <para>
/// <b>Values read are shared, not copies.</b> A processor must not change a value it read in place unless it writes
/// it back in the same record, and must not change it at all before it knows the record will apply (a processor that
/// throws half-way must leave the store as it was): it changes a copy, or validates first.
/// </para>
/// <para>
/// Guarantees are those of the store below: the commit flushes this store before Streamiz commits the input offsets,
/// so every change the committed offsets cover is in the changelog; a crash between two commits loses the changes
/// since the last one, and their input is processed again. Values are cached only once the task is running (Streamiz
/// punctuates while it restores, and a value read then would hide what the restore writes below).
/// </para>
/// </remarks>
public sealed class DecodedStore<TValue>(IKeyValueStore<string, TValue> inner, DecodedCache<TValue> clean) : IKeyValueStore<string, TValue>
    where TValue : class
{
    private readonly Dictionary<string, TValue> _dirty = new(StringComparer.Ordinal);
    private readonly DecodedCache<TValue> _clean = clean;
    private ProcessorContext? _context;
    private bool _running;

    public string Name => inner.Name;
    public bool Persistent => inner.Persistent;
    public bool IsLocally => inner.IsLocally;
    public bool IsOpen => inner.IsOpen;

    /// <summary>Keys changed since the last commit.</summary>
    public int Pending => _dirty.Count;

    public void Init(ProcessorContext context, IStateStore root)
    {
        _context = context;
        // This store is the root Streamiz registers and flushes at every commit; the stores below restore themselves.
        inner.Init(context, this);
    }

    public TValue Get(string key)
    {
        if (_dirty.TryGetValue(key, out var value) || _clean.TryGet(key, out value)) return value;
        value = inner.Get(key);
        if (value is not null && Running()) _clean.Add(key, value); // bounded; the store below holds everything
        return value!;
    }

    public void Put(string key, TValue value)
    {
        if (value is null)
        {
            Delete(key);
            return;
        }
        _clean.Remove(key);
        _dirty[key] = value;
    }

    public TValue PutIfAbsent(string key, TValue value)
    {
        var existing = Get(key);
        if (existing is null) Put(key, value);
        return existing!;
    }

    public void PutAll(IEnumerable<KeyValuePair<string, TValue>> entries)
    {
        foreach (var (key, value) in entries) Put(key, value);
    }

    public TValue Delete(string key)
    {
        var previous = Get(key);
        _dirty.Remove(key);
        _clean.Remove(key);
        inner.Delete(key);
        return previous!;
    }

    // Walks read the store below, with every pending change written to it first.
    public IKeyValueEnumerator<string, TValue> Range(string from, string to)
    {
        WritePending();
        return inner.Range(from, to);
    }

    public IKeyValueEnumerator<string, TValue> ReverseRange(string from, string to)
    {
        WritePending();
        return inner.ReverseRange(from, to);
    }

    public IEnumerable<KeyValuePair<string, TValue>> All()
    {
        WritePending();
        return inner.All();
    }

    public IEnumerable<KeyValuePair<string, TValue>> ReverseAll()
    {
        WritePending();
        return inner.ReverseAll();
    }

    public long ApproximateNumEntries() => inner.ApproximateNumEntries() + _dirty.Count;

    /// <summary>Streamiz calls this before it commits the task's offsets: the changes reach the store below and its changelog.</summary>
    public void Flush()
    {
        CommitStepKill.Reached(CommitStep.StateFlushing);
        WritePending();
        inner.Flush();
        CommitStepKill.Reached(CommitStep.StateFlushed);
    }

    public void Close()
    {
        // Changes not flushed are dropped with the task: their input offsets were not committed either.
        _dirty.Clear();
        _clean.Clear();
        inner.Close();
    }

    private void WritePending()
    {
        if (_dirty.Count == 0) return;
        foreach (var (key, value) in _dirty)
        {
            inner.Put(key, value);
            _clean.Add(key, value);
        }
        _dirty.Clear();
    }

    private bool Running() => _running || (_running = _context is not null && TaskState.IsRunning(_context));
}

/// <summary>
/// Builds a store of the service's own around what another builder builds (one per task): the changelog, caching and
/// RocksDB are that builder's, and the store around it is the root Streamiz registers and flushes.
/// </summary>
internal sealed class WrappedStoreBuilder<TValue>(IStoreBuilder<IKeyValueStore<string, TValue>> inner, Func<IKeyValueStore<string, TValue>, IKeyValueStore<string, TValue>> wrap)
    : IStoreBuilder<IKeyValueStore<string, TValue>>
{
    public bool IsWindowStore => inner.IsWindowStore;
    public long RetentionMs => inner.RetentionMs;
    public IDictionary<string, string> LogConfig => inner.LogConfig;
    public bool LoggingEnabled => inner.LoggingEnabled;
    public string Name => inner.Name;
    public CacheSize CacheSize => inner.CacheSize;

    public IKeyValueStore<string, TValue> Build(IStreamConfig config) => wrap(inner.Build(config));
    IStateStore IStoreBuilder.Build(IStreamConfig config) => Build(config);

    public IStoreBuilder<IKeyValueStore<string, TValue>> WithCachingEnabled(CacheSize? cacheSize = null) => new WrappedStoreBuilder<TValue>(inner.WithCachingEnabled(cacheSize), wrap);
    public IStoreBuilder<IKeyValueStore<string, TValue>> WithCachingDisabled() => new WrappedStoreBuilder<TValue>(inner.WithCachingDisabled(), wrap);
    public IStoreBuilder<IKeyValueStore<string, TValue>> WithLoggingEnabled(IDictionary<string, string> config) => new WrappedStoreBuilder<TValue>(inner.WithLoggingEnabled(config), wrap);
    public IStoreBuilder<IKeyValueStore<string, TValue>> WithLoggingDisabled() => new WrappedStoreBuilder<TValue>(inner.WithLoggingDisabled(), wrap);
    public void CacheExplicitlySet() => inner.CacheExplicitlySet();
}
