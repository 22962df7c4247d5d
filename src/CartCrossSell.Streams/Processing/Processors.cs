using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// Turns a factory into a Streamiz transformer supplier. Streamiz creates one transformer per task by reflection
/// (a public parameterless constructor plus the arguments given to the builder); this adapter lets a processor be an
/// ordinary class built by a lambda, with its dependencies in its constructor.
/// </summary>
public static class Processors
{
    public static TransformerSupplier<string, byte[], string, Routed> Supplier(Func<ITransformer<string, byte[], string, Routed>> create, IStoreBuilder? store = null)
    {
        var builder = TransformerBuilder.New<string, byte[], string, Routed>().Transformer<PerTask>(create);
        if (store is not null) builder = builder.StateStore(store);
        return builder.Build();
    }

    /// <summary>One task's processor, created by the factory; the parameterless instance is Streamiz's template and never processes.</summary>
    public sealed class PerTask : ITransformer<string, byte[], string, Routed>
    {
        private readonly ITransformer<string, byte[], string, Routed>? _inner;

        public PerTask() { }

        public PerTask(Func<ITransformer<string, byte[], string, Routed>> create) => _inner = create();

        private ITransformer<string, byte[], string, Routed> Inner =>
            _inner ?? throw new InvalidOperationException("the template transformer does not process");

        public void Init(ProcessorContext<string, Routed> context) => Inner.Init(context);
        public Record<string, Routed> Process(Record<string, byte[]> record) => Inner.Process(record);
        public void Close() => _inner?.Close();
    }
}
