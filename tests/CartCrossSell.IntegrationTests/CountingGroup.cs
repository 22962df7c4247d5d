using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.IntegrationTests;

/// <summary>The smallest stateful group, for tests of a group's life (start, restore, close): it counts the records of one input per key in a RocksDB store.</summary>
internal static class CountingGroup
{
    public static StreamApplication Create(string input, KafkaOptions kafka, StreamsOptions streams, ILoggerFactory logs)
    {
        var builder = new StreamBuilder();
        builder.Stream<string, byte[], StringSerDes, ByteArraySerDes>(input)
            .GroupByKey()
            .Count(RocksDb.As<string, long>("counts").WithKeySerdes<StringSerDes>().WithValueSerdes<Int64SerDes>());
        return new StreamApplication(new TopologyGroup("counting", builder.Build(), [input], []), kafka, streams, logs);
    }
}
