using CartCrossSell.Streams.Processing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Streams.Tests;

public sealed class RebalancingTests
{
    private static ConsumerConfig MainConsumer(StreamsOptions streams) =>
        StreamApplication.Config("app-recommender", new KafkaOptions { BootstrapServers = "localhost:9092" }, streams, NullLoggerFactory.Instance, "/tmp/unused")
            .ToConsumerConfig("thread-0");

    [Fact]
    public void Streams_rebalancing_chooses_the_assignor_of_the_groups_main_consumer_eager_by_default()
    {
        Assert.Equal(PartitionAssignmentStrategy.Range, MainConsumer(new StreamsOptions()).PartitionAssignmentStrategy);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky,
            MainConsumer(new StreamsOptions { Rebalancing = Rebalancing.Cooperative }).PartitionAssignmentStrategy);
    }

    [Fact]
    public void An_unknown_rebalancing_protocol_is_refused_at_start()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new StreamsOptions { Rebalancing = (Rebalancing)7 }.Validate());
        Assert.Contains("Streams:Rebalancing", error.Message);
    }
}
