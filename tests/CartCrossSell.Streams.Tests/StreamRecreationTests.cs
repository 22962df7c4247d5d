using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Table;

namespace CartCrossSell.Streams.Tests;

/// <summary>
/// The start's retry (the global thread's refused seek) creates a second KafkaStream over the group's topology; with a
/// global store, Streamiz 1.8.2 refuses that unless the first stream's stores are forgotten.
/// </summary>
public sealed class StreamRecreationTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"cartxsell-recreate-{Guid.NewGuid():N}");

    [Fact]
    public void A_second_stream_over_a_topology_with_a_global_store_is_created_once_the_first_streams_stores_are_forgotten()
    {
        var builder = new StreamBuilder();
        builder.GlobalTable("catalog", InMemory.As<string, byte[]>("catalog-table"));
        var topology = builder.Build();
        var config = StreamApplication.Config("app-recreate", new KafkaOptions { BootstrapServers = "127.0.0.1:9" }, new StreamsOptions(),
            NullLoggerFactory.Instance, _state);

        new KafkaStream(topology, config).Dispose();
        var refused = Assert.Throws<ArgumentException>(() => new KafkaStream(topology, config)); // what the retry ran into
        Assert.Contains("catalog-table", refused.Message);

        StreamApplication.ForgetGlobalStores(topology);
        var second = new KafkaStream(topology, config);
        second.Dispose();
    }

    public void Dispose()
    {
        if (Directory.Exists(_state)) Directory.Delete(_state, recursive: true);
    }
}
