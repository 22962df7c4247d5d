using Confluent.Kafka;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Metrics;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// Hands every client a stream group builds (consumers, restore and global consumers, producers, the admin client that
/// creates internal topics) the <c>Kafka:Client</c> settings as librdkafka's own strings, set last on the
/// configuration Streamiz made for it.
/// </summary>
/// <remarks>
/// Why not through <c>StreamConfig</c>: it sets the keys it knows through typed properties and threw at start when
/// given librdkafka's strings (<c>security.protocol = SASL_SSL</c>, <c>fetch.wait.max.ms = 5</c>: a stream group
/// could take no security or timeout setting), and it keeps a key it does not know (<c>sasl.mechanisms</c>,
/// <c>client.rack</c>) in a table of its own that reaches no client. librdkafka itself parses and checks each value
/// when the client is built, as it does for the service's other clients (<see cref="KafkaOptions.Apply"/>).
/// </remarks>
public sealed class ClientSettingsSupplier(IKafkaSupplier inner, IReadOnlyDictionary<string, string> settings) : IKafkaSupplier
{
    public StreamMetricsRegistry MetricsRegistry
    {
        get => inner.MetricsRegistry;
        set => inner.MetricsRegistry = value;
    }

    public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener) =>
        inner.GetConsumer(With(config), rebalanceListener);

    public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) => inner.GetProducer(With(config));

    public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => inner.GetRestoreConsumer(With(config));

    public IAdminClient GetAdmin(AdminClientConfig config) => inner.GetAdmin(With(config));

    public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => inner.GetGlobalConsumer(With(config));

    private T With<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in settings) config.Set(key, value);
        return config;
    }
}
