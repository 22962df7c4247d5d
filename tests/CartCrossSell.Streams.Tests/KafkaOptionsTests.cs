using Confluent.Kafka;

namespace CartCrossSell.Streams.Tests;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Every_consumer_of_the_layer_waits_at_most_20_ms_for_a_fetch_unless_the_client_settings_say_otherwise()
    {
        var options = new KafkaOptions { BootstrapServers = "localhost:9092" };
        var consumer = (ConsumerConfig)options.Apply(new ConsumerConfig());
        Assert.Equal(KafkaOptions.ConsumerFetchWaitMs, consumer.FetchWaitMaxMs);
        Assert.Equal("localhost:9092", consumer.BootstrapServers);

        options.Client["fetch.wait.max.ms"] = "250";
        Assert.Equal(250, ((ConsumerConfig)options.Apply(new ConsumerConfig())).FetchWaitMaxMs);

        // Producers and admin clients have no fetches: nothing is set on them.
        Assert.Null(((ProducerConfig)new KafkaOptions { BootstrapServers = "b:1" }.Apply(new ProducerConfig())).Get("fetch.wait.max.ms"));
    }
}
