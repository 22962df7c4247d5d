using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.Enumerator;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// A store passed through unchanged but for its flush, which reaches <see cref="CommitStep.StateFlushing"/> before and
/// <see cref="CommitStep.StateFlushed"/> after the store below writes its changes (Streamiz's record cache, the
/// changelog, RocksDB): the kill points of <see cref="CommitStepKill"/> for the stores that are not a
/// <see cref="DecodedStore{TValue}"/> (which reaches them itself). Built only in a process armed for a crash test; in
/// every deployment <see cref="StateStores.KeyValue"/> returns Streamiz's store as it is.
/// </summary>
internal sealed class CommitStepStore<TValue>(IKeyValueStore<string, TValue> inner) : IKeyValueStore<string, TValue>
{
    public string Name => inner.Name;
    public bool Persistent => inner.Persistent;
    public bool IsLocally => inner.IsLocally;
    public bool IsOpen => inner.IsOpen;

    // This store is the root Streamiz registers and flushes at every commit.
    public void Init(ProcessorContext context, IStateStore root) => inner.Init(context, this);

    public void Flush()
    {
        CommitStepKill.Reached(CommitStep.StateFlushing);
        inner.Flush();
        CommitStepKill.Reached(CommitStep.StateFlushed);
    }

    public void Close() => inner.Close();
    public TValue Get(string key) => inner.Get(key);
    public void Put(string key, TValue value) => inner.Put(key, value);
    public TValue PutIfAbsent(string key, TValue value) => inner.PutIfAbsent(key, value);
    public void PutAll(IEnumerable<KeyValuePair<string, TValue>> entries) => inner.PutAll(entries);
    public TValue Delete(string key) => inner.Delete(key);
    public IKeyValueEnumerator<string, TValue> Range(string from, string to) => inner.Range(from, to);
    public IKeyValueEnumerator<string, TValue> ReverseRange(string from, string to) => inner.ReverseRange(from, to);
    public IEnumerable<KeyValuePair<string, TValue>> All() => inner.All();
    public IEnumerable<KeyValuePair<string, TValue>> ReverseAll() => inner.ReverseAll();
    public long ApproximateNumEntries() => inner.ApproximateNumEntries();
}
