using CartCrossSell.Streams.Processing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Streams.Tests;

public sealed class StreamizClientSettingsTests
{
    /// <summary>
    /// Kafka:Client values are librdkafka strings; Streamiz sets the keys it knows through typed properties, and a
    /// string there made every stream group throw at start (a security protocol or a fetch wait could not be set).
    /// </summary>
    [Fact]
    public void Client_settings_reach_every_client_of_a_stream_group_in_librdkafka_s_own_spelling()
    {
        var kafka = new KafkaOptions
        {
            BootstrapServers = "localhost:9092",
            Client =
            {
                ["fetch.wait.max.ms"] = "5", ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "SCRAM-SHA-256",
                ["sasl.username"] = "shop", ["enable.ssl.certificate.verification"] = "false", ["client.rack"] = "eu-west-1a",
                ["ssl.endpoint.identification.algorithm"] = "none", ["acks"] = "-1",
            },
        };
        kafka.Validate();
        var config = StreamApplication.Config("app-recommender", kafka, new StreamsOptions(), NullLoggerFactory.Instance, "/tmp/unused");

        var consumer = config.ToConsumerConfig("thread-0");
        Assert.Equal(5, consumer.FetchWaitMaxMs);
        Assert.Equal(SecurityProtocol.SaslSsl, consumer.SecurityProtocol);
        Assert.Equal(SaslMechanism.ScramSha256, consumer.SaslMechanism);
        Assert.Equal("shop", consumer.SaslUsername);
        Assert.False(consumer.EnableSslCertificateVerification);
        Assert.Equal("eu-west-1a", consumer.ClientRack);
        var producer = config.ToProducerConfig();
        Assert.Equal(SecurityProtocol.SaslSsl, producer.SecurityProtocol);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal(SecurityProtocol.SaslSsl, config.ToAdminConfig("thread-0").SecurityProtocol);
        // A key Streamiz has no property for (it would keep it and hand it to no client) reaches the other clients too.
        Assert.Equal("eu-west-1a", config.ToGlobalConsumerConfig("global").ClientRack);
        Assert.Equal("eu-west-1a", config.ToRestoreConsumerConfig("restore").ClientRack);
        Assert.Equal(SecurityProtocol.SaslSsl, config.ToGlobalConsumerConfig("global").SecurityProtocol);
    }

    [Fact]
    public void A_client_value_of_the_wrong_kind_is_refused_at_start_naming_the_key()
    {
        var kafka = new KafkaOptions { BootstrapServers = "localhost:9092", Client = { ["fetch.wait.max.ms"] = "soon" } };
        var error = Assert.Throws<OptionsValidationException>(kafka.Validate);
        Assert.Contains("Kafka:Client:fetch.wait.max.ms", error.Message);

        kafka.Client.Clear();
        kafka.Client["security.protocol"] = "carrier-pigeon";
        error = Assert.Throws<OptionsValidationException>(kafka.Validate);
        Assert.Contains("Kafka:Client:security.protocol", error.Message);
        Assert.Contains("SaslSsl", error.Message);
    }
}
