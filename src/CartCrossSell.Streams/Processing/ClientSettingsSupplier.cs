using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Metrics;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// Hands every client a stream group builds (consumers, restore and global consumers, producers, the admin client that
/// creates internal topics) the <c>Kafka:Client</c> settings as librdkafka's own strings, set last on the
/// configuration Streamiz made for it; producers come wrapped so that a commit's flush returns promptly
/// (<see cref="PromptFlushProducer"/>), and stream threads' consumers so that a commit refused during a revocation
/// cannot stop the thread (<see cref="RevocationCommits"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why not through <c>StreamConfig</c>: it sets the keys it knows through typed properties and threw at start when
/// given librdkafka's strings (<c>security.protocol = SASL_SSL</c>, <c>fetch.wait.max.ms = 5</c>: a stream group
/// could take no security or timeout setting), and it keeps a key it does not know (<c>sasl.mechanisms</c>,
/// <c>client.rack</c>) in a table of its own that reaches no client. librdkafka itself parses and checks each value
/// when the client is built, as it does for the service's other clients (<see cref="KafkaOptions.Apply"/>).
/// </para>
/// <para>
/// It also keeps the one client Streamiz 1.8.2 never disposes: the admin client of the global stream thread (its
/// <c>GlobalStateManager</c> holds it and closes only the consumer), which went on reconnecting and logging "brokers
/// are down" after its stream was disposed. <see cref="DisposeLeftOverClients"/> disposes it with the stream.
/// </para>
/// </remarks>
public sealed class ClientSettingsSupplier(IKafkaSupplier inner, KafkaOptions kafka, ILogger? log = null, Action? revocationCommitDropped = null)
    : IKafkaSupplier
{
    // Streamiz names the admin clients it disposes itself (the stream threads', the internal topic manager's) with this suffix.
    private const string DisposedByStreamiz = "-streamiz-admin";
    private readonly List<IAdminClient> _leftOver = [];
    private readonly Lock _gate = new();

    public StreamMetricsRegistry MetricsRegistry
    {
        get => inner.MetricsRegistry;
        set => inner.MetricsRegistry = value;
    }

    /// <summary>
    /// A stream thread's consumer; a commit the group refuses while the thread's partitions are revoked is dropped
    /// instead of leaving the thread asleep for good (<see cref="RevocationCommits"/>).
    /// </summary>
    public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener) =>
        CommitStepKill.Watch(RevocationCommits.Consumer(inner.GetConsumer(With(config), RevocationCommits.Listener(rebalanceListener)), log, revocationCommitDropped));

    /// <summary>The producer of a stream thread, its flush at every commit prompt (<see cref="PromptFlushProducer"/>).</summary>
    public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) =>
        inner.GetProducer(With(config)) is { } producer ? new PromptFlushProducer(producer) : null!; // null: a supplier that makes no client (tests)

    public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => inner.GetRestoreConsumer(With(config));

    public IAdminClient GetAdmin(AdminClientConfig config)
    {
        var leftOver = config.ClientId is { } id && !id.EndsWith(DisposedByStreamiz, StringComparison.Ordinal);
        var admin = inner.GetAdmin(With(config));
        if (leftOver)
            lock (_gate) _leftOver.Add(admin);
        return admin;
    }

    /// <summary>Disposes the clients Streamiz keeps past its stream's disposal; call it once the stream is disposed.</summary>
    public void DisposeLeftOverClients()
    {
        IAdminClient[] clients;
        lock (_gate)
        {
            clients = [.. _leftOver];
            _leftOver.Clear();
        }
        foreach (var client in clients)
        {
            try
            {
                client.Dispose();
            }
            catch (ObjectDisposedException)
            {
                // disposed already (Confluent's Dispose is not idempotent): a later Streamiz that closes it itself
            }
        }
    }

    public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => inner.GetGlobalConsumer(With(config));

    private T With<T>(T config) where T : ClientConfig => kafka.ApplyClientSettings(config);
}
