using CartCrossSell.Streams.Processing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Metrics;

namespace CartCrossSell.Streams.Tests;

public sealed class ClientSettingsSupplierTests
{
    private static readonly KafkaOptions Kafka = new()
    {
        BootstrapServers = "127.0.0.1:9",
        Client =
        {
            // librdkafka's spelling; StreamConfig threw on the first two and kept the last two from every client.
            ["fetch.wait.max.ms"] = "5", ["security.protocol"] = "SASL_SSL", ["sasl.mechanisms"] = "PLAIN", ["client.rack"] = "eu-west-1a",
            ["sasl.username"] = "shop", ["sasl.password"] = "secret",
        },
    };

    /// <summary>Records the configuration of each client it is asked for.</summary>
    private sealed class Recorder : IKafkaSupplier
    {
        public List<ClientConfig> Configs { get; } = [];
        public StreamMetricsRegistry MetricsRegistry { get; set; } = null!;
        public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener) => Record(config);
        public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) => Record(config);
        public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => Record(config);
        public IAdminClient GetAdmin(AdminClientConfig config) => Record(config);
        public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => Record(config);

        private dynamic Record(ClientConfig config)
        {
            Configs.Add(config);
            return null!;
        }
    }

    [Fact]
    public void Every_client_of_a_stream_group_gets_the_client_settings_as_librdkafka_strings()
    {
        var config = StreamApplication.Config("app-recommender", Kafka, new StreamsOptions(), NullLoggerFactory.Instance, "/tmp/unused");
        var recorder = new Recorder();
        var supplier = new ClientSettingsSupplier(recorder, Kafka);

        supplier.GetConsumer(config.ToConsumerConfig("thread-0"), null!);
        supplier.GetRestoreConsumer(config.ToRestoreConsumerConfig("restore"));
        supplier.GetGlobalConsumer(config.ToGlobalConsumerConfig("global"));
        supplier.GetProducer(config.ToProducerConfig("producer"));
        supplier.GetAdmin(config.ToAdminConfig("admin")); // creates the internal topics: it needs the credentials too

        Assert.Equal(5, recorder.Configs.Count);
        foreach (var client in recorder.Configs)
            foreach (var (key, value) in Kafka.Client)
                Assert.Equal(value, client.Get(key));
        Assert.Equal("app-recommender", ((ConsumerConfig)recorder.Configs[0]).GroupId); // Streamiz's own settings stay
    }

    [Theory]
    [InlineData(ProcessingGuarantee.AtLeastOnce)]
    [InlineData(ProcessingGuarantee.ExactlyOnce)]
    public void A_stream_groups_producer_is_idempotent_under_either_guarantee(ProcessingGuarantee guarantee)
    {
        // Under at-least-once too: a retried batch reordered behind a later one would be skipped by the stores' applied
        // offsets downstream (the learner's rows), and lost.
        var config = StreamApplication.Config("app-learner", Kafka, new StreamsOptions { Guarantee = guarantee }, NullLoggerFactory.Instance, "/tmp/unused");
        var producer = config.ToProducerConfig("producer");
        Assert.True(producer.EnableIdempotence);
        Assert.True(producer.Acks is null or Acks.All, "idempotence needs acks=all (librdkafka sets it when unset)");
    }

    [Fact]
    public void A_stream_group_builds_real_clients_with_typed_and_unknown_settings()
    {
        var config = StreamApplication.Config("app-recommender", Kafka, new StreamsOptions(), NullLoggerFactory.Instance, "/tmp/unused");
        var clients = StreamApplication.Clients(config, Kafka);
        using var admin = clients.GetAdmin(config.ToAdminConfig("admin"));
        using var producer = clients.GetProducer(config.ToProducerConfig("producer"));
        Assert.NotNull(admin);
        Assert.NotNull(producer);

        // A value librdkafka cannot take fails the client's construction, naming the property.
        var wrong = new KafkaOptions { BootstrapServers = "127.0.0.1:9", Client = { ["fetch.wait.max.ms"] = "soon" } };
        var error = Assert.ThrowsAny<Exception>(() =>
            StreamApplication.Clients(config, wrong).GetRestoreConsumer(config.ToRestoreConsumerConfig("restore")).Dispose());
        Assert.Contains("fetch.wait.max.ms", error.Message);
    }

    /// <summary>
    /// Streamiz 1.8.2 never disposes its global thread's admin client (named by the stream's client id, where the
    /// clients it disposes end in "-streamiz-admin"): it went on reconnecting after its stream was gone.
    /// </summary>
    [Fact]
    public void The_admin_client_Streamiz_leaves_behind_is_disposed_with_the_stream_and_only_that_one()
    {
        var config = StreamApplication.Config("app-recommender", new KafkaOptions { BootstrapServers = "127.0.0.1:9" }, new StreamsOptions(),
            NullLoggerFactory.Instance, "/tmp/unused");
        var clients = StreamApplication.Clients(config, new KafkaOptions { BootstrapServers = "127.0.0.1:9" });
        var global = clients.GetAdmin(config.ToAdminConfig("app-recommender-5f0c")); // disposed by the supplier, or the test fails
        using var thread = clients.GetAdmin(config.ToAdminConfig("app-recommender-5f0c-streamiz-admin"));

        clients.DisposeLeftOverClients();

        Assert.Throws<ObjectDisposedException>(() => global.GetMetadata(TimeSpan.FromMilliseconds(1)));
        Assert.Throws<KafkaException>(() => thread.GetMetadata(TimeSpan.FromMilliseconds(1))); // alive: it only finds no broker
    }
}
