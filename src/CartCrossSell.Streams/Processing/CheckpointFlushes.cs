using System.Collections.Concurrent;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Crosscutting;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.Processors.Internal;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.Enumerator;
using Streamiz.Kafka.Net.State.Supplier;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// RocksDB memtables flushed to disk when a task writes its checkpoint, not at every commit.
/// </summary>
/// <remarks>
/// <para>
/// Streamiz 1.8.2 flushes every store at every commit, and a RocksDB store's flush writes its memtable out as a new
/// table file. With the 100 ms commit interval that was a small file every tenth of a second per store and task, and 2.6 ms of
/// each recommender commit on the stream thread (measured: 5.7 ms per commit with RocksDB stores, 3.1 ms with
/// in-memory ones, docs/benchmarks.md "Commits that waited for the producer and for RocksDB").
/// </para>
/// <para>
/// Why deferring is safe: RocksDB here runs without its write-ahead log (Streamiz's setting), so what a store holds
/// on disk matters only through the checkpoint file, which says from which changelog offset a restart restores. Kafka
/// Streams has flushed only when it writes a checkpoint since 2.6, and so does this: the layers above RocksDB (record
/// cache, changelog) still flush at every commit, so the changelog has every change before the offsets move, and
/// <see cref="FlushBeforeCheckpoint"/> flushes a task's memtables right before it writes the task's checkpoint
/// (every 10,000 changelog records, and when the task closes). A crash in between loses memtable content that the
/// checkpoint never claimed: the restart restores it from the changelog, as it always did for whatever followed the
/// checkpoint. A store whose task's checkpoints this does not write (another checkpoint manager) flushes as before.
/// </para>
/// <para>
/// The store and the checkpoint meet by the task's state directory (<c>{StateDir}/{applicationId}/{task}</c>), the
/// one thing both know: Streamiz hides its configuration from a store. A state directory belongs to one task of one
/// process at a time (Streamiz locks it), so the table below, though process-wide, cannot mix two tasks.
/// </para>
/// </remarks>
public static class CheckpointFlushes
{
    // Task state directories whose checkpoints FlushBeforeCheckpoint writes, and the deferred stores of each.
    private static readonly ConcurrentDictionary<string, bool> Managed = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, List<DeferredFlushStore>> Stores = new(StringComparer.Ordinal);

    /// <summary>RocksDB stores from <paramref name="supplier"/> whose memtables wait for the task's checkpoint.</summary>
    public static IKeyValueBytesStoreSupplier Deferring(IKeyValueBytesStoreSupplier supplier) => new DeferringSupplier(supplier);

    internal static string TaskDirectory(IStreamConfig config, TaskId task) => Path.Combine(config.StateDir, config.ApplicationId, task.ToString());

    internal static void Manage(string directory) => Managed[directory] = true;

    internal static bool IsManaged(string directory) => Managed.ContainsKey(directory);

    internal static void Add(string directory, DeferredFlushStore store)
    {
        var stores = Stores.GetOrAdd(directory, _ => []);
        lock (stores) stores.Add(store);
    }

    internal static void Remove(string directory, DeferredFlushStore store)
    {
        if (!Stores.TryGetValue(directory, out var stores)) return;
        lock (stores) stores.Remove(store);
    }

    /// <summary>Writes the memtables of every open deferred store of the task in <paramref name="directory"/> to disk.</summary>
    internal static void FlushMemtables(string directory)
    {
        if (!Stores.TryGetValue(directory, out var stores)) return;
        DeferredFlushStore[] open;
        lock (stores) open = [.. stores];
        foreach (var store in open) store.FlushMemtable();
    }

    private sealed class DeferringSupplier(IKeyValueBytesStoreSupplier inner) : IKeyValueBytesStoreSupplier
    {
        public string Name
        {
            get => inner.Name;
            set => inner.Name = value;
        }

        public string MetricsScope => inner.MetricsScope;

        public IKeyValueStore<Bytes, byte[]> Get() => new DeferredFlushStore(inner.Get());
    }
}

/// <summary>
/// A task's checkpoint file, as Streamiz writes it (<see cref="OffsetCheckpointFile"/> in the task's state directory),
/// written only after the task's RocksDB memtables are on disk (<see cref="CheckpointFlushes"/>).
/// </summary>
public sealed class FlushBeforeCheckpoint : IOffsetCheckpointManager
{
    private readonly ConcurrentDictionary<TaskId, (string Directory, OffsetCheckpointFile File)> _tasks = new();
    private IStreamConfig? _config;

    /// <summary>Called by Streamiz for each task before its stores open.</summary>
    public void Configure(IStreamConfig config, TaskId taskId)
    {
        _config = config;
        var task = For(taskId);
        CheckpointFlushes.Manage(task.Directory);
    }

    public IDictionary<Confluent.Kafka.TopicPartition, long> Read(TaskId taskId) => For(taskId).File.Read(taskId);

    public void Write(TaskId taskId, IDictionary<Confluent.Kafka.TopicPartition, long> data)
    {
        var task = For(taskId);
        // The checkpoint claims the state up to these changelog offsets: it must be on disk first.
        CheckpointFlushes.FlushMemtables(task.Directory);
        task.File.Write(taskId, data);
    }

    public void Destroy(TaskId taskId) => For(taskId).File.Destroy(taskId);

    private (string Directory, OffsetCheckpointFile File) For(TaskId taskId) => _tasks.GetOrAdd(taskId, id =>
    {
        var config = _config ?? throw new InvalidOperationException("the checkpoint manager was used before Streamiz configured it");
        // Streamiz's own paths: a task's directory, and "global" for the global stores (task -1).
        var directory = id.Id < 0 ? Path.Combine(config.StateDir, config.ApplicationId, "global") : CheckpointFlushes.TaskDirectory(config, id);
        return (directory, new OffsetCheckpointFile(directory));
    });
}

/// <summary>
/// A RocksDB store whose flush at a commit leaves the memtable in memory when its task's checkpoints flush it
/// (<see cref="CheckpointFlushes"/>); everything else is the store's own.
/// </summary>
internal sealed class DeferredFlushStore(IKeyValueStore<Bytes, byte[]> inner) : IKeyValueStore<Bytes, byte[]>
{
    private string? _directory;

    public string Name => inner.Name;
    public bool Persistent => inner.Persistent;
    public bool IsLocally => inner.IsLocally;
    public bool IsOpen => inner.IsOpen;

    public void Init(ProcessorContext context, IStateStore root)
    {
        inner.Init(context, root);
        var directory = context.StateDir;
        if (!CheckpointFlushes.IsManaged(directory)) return;
        _directory = directory;
        CheckpointFlushes.Add(directory, this);
    }

    public void Flush()
    {
        // Deferred to the task's next checkpoint; a store whose checkpoints are written elsewhere flushes now.
        if (_directory is null) FlushMemtable();
    }

    internal void FlushMemtable()
    {
        if (inner.IsOpen) inner.Flush();
    }

    public void Close()
    {
        if (_directory is { } directory)
        {
            // A task's checkpoint may be written after its stores close: what the memtable holds goes to disk now.
            CheckpointFlushes.Remove(directory, this);
            FlushMemtable();
        }
        inner.Close();
    }

    public byte[] Get(Bytes key) => inner.Get(key);
    public void Put(Bytes key, byte[] value) => inner.Put(key, value);
    public byte[] PutIfAbsent(Bytes key, byte[] value) => inner.PutIfAbsent(key, value);
    public void PutAll(IEnumerable<KeyValuePair<Bytes, byte[]>> entries) => inner.PutAll(entries);
    public byte[] Delete(Bytes key) => inner.Delete(key);
    public IKeyValueEnumerator<Bytes, byte[]> Range(Bytes from, Bytes to) => inner.Range(from, to);
    public IKeyValueEnumerator<Bytes, byte[]> ReverseRange(Bytes from, Bytes to) => inner.ReverseRange(from, to);
    public IEnumerable<KeyValuePair<Bytes, byte[]>> All() => inner.All();
    public IEnumerable<KeyValuePair<Bytes, byte[]>> ReverseAll() => inner.ReverseAll();
    public long ApproximateNumEntries() => inner.ApproximateNumEntries();
}
