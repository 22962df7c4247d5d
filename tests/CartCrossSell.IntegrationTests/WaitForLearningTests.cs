using CartCrossSell.Cli.Hosting;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// <see cref="DemoRunner.WaitForLearningAsync"/>, which the demo, the embedded shop and these tests rely on before a
/// cart is ranked: it returns only once the recommender's table holds what the learner makes of every order.
/// </summary>
public sealed class WaitForLearningTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 5_000 }; // no pruning: exact comparison

    public void Dispose()
    {
        _kafka.Dispose();
        _redis.Dispose();
    }

    /// <summary>
    /// Orders arrive in two batches, the second once the table holds rows of the first, and the learner publishes its
    /// rows every three seconds: the table then stays quiet for seconds after the learner committed the second batch,
    /// which the wait took for the end of learning before it also waited for the learner's unpublished rows (a browser
    /// test's basket was ranked on half-learned rows and came back empty on a loaded machine).
    /// </summary>
    [Fact]
    public async Task The_wait_returns_only_once_the_table_holds_every_order_learned_also_when_rows_are_published_seconds_after_the_commit()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = cts.Token;
        var (orders, catalog, batch) = LearnedRows.RealOrders(300, Learning);
        using var publisher = new EventPublisher(_kafka.Options);
        LearnedRows.PublishCatalog(publisher, catalog);
        async Task PublishAsync(IEnumerable<HistoricalOrder> some)
        {
            LearnedRows.PublishOrders(publisher, some);
            await publisher.FlushAsync(ct);
        }
        await PublishAsync(orders.Take(orders.Length / 2));

        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
            Learning = Learning,
            Learner = new() { RowPublishInterval = TimeSpan.FromSeconds(3) },
            Topologies = [TopologyNames.Learner, TopologyNames.Recommender],
        }, loggers);
        await service.StartAsync(ct);
        await Polling.UntilAsync(() => Task.FromResult(service.Neighbors.RowCount > 0), TimeSpan.FromSeconds(60), () => "the first rows reached the table");
        await PublishAsync(orders.Skip(orders.Length / 2));

        await DemoRunner.WaitForLearningAsync(service, ct);

        var table = LearnedRows.InTable(service.Neighbors, batch);
        Assert.True(LearnedRows.SameAsBatch(table, batch, out var difference), $"the table when the wait returned differs from the batch learner: {difference}");
        Assert.Equal(0, service.StreamsMetrics.UnpublishedRows(TopologyNames.BasketAggregator));
    }
}
