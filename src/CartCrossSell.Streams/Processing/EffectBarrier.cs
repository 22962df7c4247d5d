using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.Streams.Processing;

/// <summary>An effect outside Kafka (a Redis write) that must be complete before input offsets commit.</summary>
public interface IEffectSink
{
    /// <summary>Returns once every effect issued so far is durable; throws if it cannot be made durable.</summary>
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

    public void Flush() => sink.FlushAsync().GetAwaiter().GetResult();

    public void Close() => IsOpen = false;

    /// <summary>Connects a barrier over <paramref name="sink"/> to the processors that issue its effects.</summary>
    public static IStoreBuilder<EffectBarrier> Builder(string name, IEffectSink sink) => new BarrierBuilder(name, sink);

    private sealed class BarrierBuilder(string name, IEffectSink sink) : IStoreBuilder<EffectBarrier>
    {
        public string Name => name;
        public bool IsWindowStore => false;
        public long RetentionMs => -1;
        public IDictionary<string, string> LogConfig { get; } = new Dictionary<string, string>();
        public bool LoggingEnabled => false;
        public CacheSize CacheSize => null!;

        public EffectBarrier Build(IStreamConfig config) => new(name, sink);
        IStateStore IStoreBuilder.Build(IStreamConfig config) => Build(config);
        public IStoreBuilder<EffectBarrier> WithCachingEnabled(CacheSize cacheSize) => this;
        public IStoreBuilder<EffectBarrier> WithCachingDisabled() => this;
        public IStoreBuilder<EffectBarrier> WithLoggingEnabled(IDictionary<string, string> config) => this;
        public IStoreBuilder<EffectBarrier> WithLoggingDisabled() => this;
        public void CacheExplicitlySet() { }
    }
}
