using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.Streams.Processing;

/// <summary>An effect outside Kafka (a Redis write) that must be complete before input offsets commit.</summary>
public interface IEffectSink
{
    /// <summary>
    /// Returns once every effect issued so far on the calling thread is durable (a sink may wait for more); throws if
    /// one cannot be made durable. A task's effects are issued on the stream thread that processes its records, and
    /// its barrier flushes on that thread, so that is every effect of the task.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// An effect can no longer be made durable (Redis writes gave up). Not a problem of the record at hand: processors let
/// it through instead of dead-lettering the record, so the stream thread stops and restarts from the last commit.
/// </summary>
public sealed class EffectFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Kafka Streams flushes a task's stores before it commits the task's offsets; this store holds no data and uses
/// that hook to wait for the task's outstanding effects. Effects are issued as soon as a record is processed (fresh
/// in milliseconds) and the commit waits for them (nothing is lost): at-least-once for effects, made harmless by
/// their idempotence (version compare-and-set in Redis). A flush that fails stops the stream thread before the commit.
/// </summary>
public sealed class EffectBarrier(string name, IEffectSink sink) : IStateStore
{
    public string Name { get; } = name;
    public bool Persistent => false;
    public bool IsLocally => true;
    public bool IsOpen { get; private set; }

    public void Init(ProcessorContext context, IStateStore root)
    {
        // No changelog and nothing to restore: registering only puts the store in the flush path of the commit.
        context.Register(root, (_, _, _) => { });
        IsOpen = true;
    }

    public void Flush()
    {
        sink.FlushAsync().GetAwaiter().GetResult();
        CommitStepKill.Reached(CommitStep.EffectsDurable);
    }

    public void Close() => IsOpen = false;

    /// <summary>Connects a barrier over <paramref name="sink"/> to the processors that issue its effects.</summary>
    public static IStoreBuilder<EffectBarrier> Builder(string name, IEffectSink sink) => new UnloggedStoreBuilder<EffectBarrier>(name, () => new(name, sink));
}

/// <summary>
/// Counts the commits of one task. Kafka Streams flushes a task's stores, then its producer, then commits offsets;
/// so once this count has moved twice past a moment, everything the task sent before that moment is in Kafka. A
/// processor uses it to delete state only after the output that state produced is durable.
/// </summary>
public sealed class CommitCounter(string name) : IStateStore
{
    public string Name { get; } = name;
    public bool Persistent => false;
    public bool IsLocally => true;
    public bool IsOpen { get; private set; }

    /// <summary>Commits of this task since it started (store flushes, which precede the producer flush and the offset commit).</summary>
    public long Commits { get; private set; }

    public void Init(ProcessorContext context, IStateStore root)
    {
        context.Register(root, (_, _, _) => { });
        IsOpen = true;
    }

    public void Flush() => Commits++;

    public void Close() => IsOpen = false;

    public static IStoreBuilder<CommitCounter> Builder(string name) => new UnloggedStoreBuilder<CommitCounter>(name, () => new(name));
}

/// <summary>Builds a store Streamiz neither logs nor caches, from a factory: the data-less barriers, the replicated tables.</summary>
internal sealed class UnloggedStoreBuilder<TStore>(string name, Func<TStore> create) : IStoreBuilder<TStore> where TStore : IStateStore
{
    public string Name => name;
    public bool IsWindowStore => false;
    public long RetentionMs => -1;
    public IDictionary<string, string> LogConfig { get; } = new Dictionary<string, string>();
    public bool LoggingEnabled => false;
    public CacheSize CacheSize => null!;

    public TStore Build(IStreamConfig config) => create();
    IStateStore IStoreBuilder.Build(IStreamConfig config) => Build(config);
    public IStoreBuilder<TStore> WithCachingEnabled(CacheSize cacheSize) => this;
    public IStoreBuilder<TStore> WithCachingDisabled() => this;
    public IStoreBuilder<TStore> WithLoggingEnabled(IDictionary<string, string> config) => this;
    public IStoreBuilder<TStore> WithLoggingDisabled() => this;
    public void CacheExplicitlySet() { }
}
