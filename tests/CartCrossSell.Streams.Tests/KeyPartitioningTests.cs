using CartCrossSell.Streams.Processing;
using Confluent.Kafka;

namespace CartCrossSell.Streams.Tests;

public sealed class KeyPartitioningTests
{
    /// <summary>
    /// The learner groups rows by the partition this computes and lets the producer route each group by one of its
    /// keys: if the two ever disagreed, a row would be counted by a task that does not own it.
    /// </summary>
    [Fact]
    public void Every_key_lands_where_the_producer_of_the_embedded_broker_sends_it()
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        const string topic = "key-partitioning";
        // Streamiz's producer setting: murmur2 of the key, Java-compatible (random only for a null key).
        var config = new ProducerConfig { BootstrapServers = cluster.BootstrapServers, Partitioner = Partitioner.Murmur2Random };
        using var producer = new ProducerBuilder<string, string>(config).Build();
        var keys = Enumerable.Range(0, 300).Select(i => $"item:{i * 7919}")
            .Concat(["baskets", "category:crème brûlée", "next:日本茶", "x", "ab", "abc", "abcd", new string('é', 400)])
            .ToArray();

        var delivered = keys.Select(k => (Key: k, producer.ProduceAsync(topic, new Message<string, string> { Key = k, Value = "" }).GetAwaiter().GetResult().Partition.Value)).ToArray();

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
        Assert.True(partitions > 1, "the mock cluster auto-creates topics with several partitions");
        Assert.All(delivered, d => Assert.Equal(d.Value, KeyPartitioning.PartitionOf(d.Key, partitions)));
        Assert.Equal(partitions, delivered.Select(d => d.Value).Distinct().Count());
    }

    [Fact]
    public void Murmur2_matches_the_java_producer_s_reference_values()
    {
        // The reference values of Kafka's own test of Utils.murmur2 (UtilsTest.testMurmur2).
        Assert.Equal(-973_932_308, KeyPartitioning.Murmur2("21"u8));
        Assert.Equal(-790_332_482, KeyPartitioning.Murmur2("foobar"u8));
        Assert.Equal(-985_981_536, KeyPartitioning.Murmur2("a-little-bit-long-string"u8));
        Assert.Equal(-1_486_304_829, KeyPartitioning.Murmur2("a-little-bit-longer-string"u8));
        Assert.Equal(-58_897_971, KeyPartitioning.Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"u8));
        Assert.Equal(479_470_107, KeyPartitioning.Murmur2("abc"u8));
    }
}
