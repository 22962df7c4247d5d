namespace CartCrossSell.Streams;

/// <summary>
/// An effect outside Kafka (a Redis write) that processors buffer and the layer flushes before it commits the
/// input offsets. A flush must be idempotent: after a crash, the same effects may be flushed again.
/// </summary>
public interface IEffectSink
{
    string Name { get; }

    Task FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A named topology: one source topic consumed by its own consumer group, a processor per input partition, the
/// stores each processor owns, and the effect sinks its processors write to.
/// </summary>
public sealed class Topology<T>
{
    internal Topology(string name, string sourceTopic, IValueCodec<T> codec, Func<IProcessorContext, IProcessor<T>> processorFactory,
        IReadOnlyList<StoreSpec> stores, IReadOnlyList<IEffectSink> sinks, IReadOnlyList<string> outputTopics)
    {
        Name = name;
        SourceTopic = sourceTopic;
        Codec = codec;
        ProcessorFactory = processorFactory;
        Stores = stores;
        Sinks = sinks;
        OutputTopics = outputTopics;
    }

    public string Name { get; }
    public string SourceTopic { get; }
    public IValueCodec<T> Codec { get; }
    public Func<IProcessorContext, IProcessor<T>> ProcessorFactory { get; }
    public IReadOnlyList<StoreSpec> Stores { get; }
    public IReadOnlyList<IEffectSink> Sinks { get; }
    public IReadOnlyList<string> OutputTopics { get; }
}

/// <summary>Builds a <see cref="Topology{T}"/>; each method may be called once per store, sink or output.</summary>
public sealed class TopologyBuilder<T>
{
    private readonly string _name;
    private readonly string _sourceTopic;
    private readonly IValueCodec<T> _codec;
    private readonly List<StoreSpec> _stores = [];
    private readonly List<IEffectSink> _sinks = [];
    private readonly List<string> _outputs = [];
    private Func<IProcessorContext, IProcessor<T>>? _factory;

    public TopologyBuilder(string name, string sourceTopic, IValueCodec<T> codec)
    {
        if (!TopicNames.IsLegal(name)) throw new ArgumentException($"topology name '{name}' must be a legal topic name", nameof(name));
        _name = name;
        _sourceTopic = sourceTopic;
        _codec = codec;
    }

    public TopologyBuilder<T> WithStore(StoreSpec store)
    {
        if (_stores.Any(s => s.Name == store.Name)) throw new InvalidOperationException($"store '{store.Name}' is registered twice");
        _stores.Add(store);
        return this;
    }

    public TopologyBuilder<T> WithEffectSink(IEffectSink sink)
    {
        _sinks.Add(sink);
        return this;
    }

    /// <summary>Declares a topic the processors send to, so the layer can make sure it exists before starting.</summary>
    public TopologyBuilder<T> WithOutput(string topic)
    {
        _outputs.Add(topic);
        return this;
    }

    public TopologyBuilder<T> WithProcessor(Func<IProcessorContext, IProcessor<T>> factory)
    {
        if (_factory is not null) throw new InvalidOperationException("the processor is already set");
        _factory = factory;
        return this;
    }

    public Topology<T> Build() =>
        new(_name, _sourceTopic, _codec, _factory ?? throw new InvalidOperationException($"topology '{_name}' has no processor"),
            _stores.ToArray(), _sinks.ToArray(), _outputs.ToArray());
}
