using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// A recommender's start holds the newest orders of <c>order-events</c> as similar baskets, on the embedded broker.
/// Streamiz's bootstrap reads a global store's topic one partition after the other, so "the newest Capacity read" was
/// the newest of the last partitions: a quarter of the keys over four times the span. The start now keeps the newest
/// orders by time across partitions, and decodes only those.
/// </summary>
public sealed class RecentBasketsBootstrapTests(ITestOutputHelper output) : IDisposable
{
    private const string Dummy = "recent-baskets-bootstrap-input";
    private readonly KafkaFixture _kafka = new();

    public void Dispose() => _kafka.Dispose();

    private static readonly DateTimeOffset Start = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    private static OrderCompleted Order(int n, int items) => new()
    {
        EventId = $"e{n}",
        OrderId = $"order-{n}",
        Timestamp = Start.AddMinutes(n),
        Lines = Enumerable.Range(0, items).Select(i => new OrderLine { Sku = $"sku-{(n + i) % 40}", Quantity = 1, UnitPrice = 2m }).ToList(),
    };

    private (StreamApplication App, RecentBasketsTable Table) Recommender(int capacity, ILoggerFactory logs)
    {
        var table = new RecentBasketsTable(new SimilarBasketsOptions { Capacity = capacity }, logs);
        var builder = new StreamBuilder();
        builder.Stream(Dummy, new StringSerDes(), new ByteArraySerDes()).Foreach((_, _, _) => { });
        table.AddTo(builder);
        var app = new StreamApplication(new TopologyGroup("recent-baskets", builder.Build(), [Dummy, Topics.OrderEvents], []), _kafka.Options,
            new StreamsOptions { ApplicationId = "recent-baskets-bootstrap", CommitInterval = TimeSpan.FromMilliseconds(50) }, logs);
        return (app, table);
    }

    private static async Task UntilRunning(StreamApplication app)
    {
        for (var attempt = 0; !app.IsRunning; attempt++)
        {
            Assert.True(attempt < 1_200, "the group never ran");
            if (app.Completion.IsCompleted) await app.Completion;
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_start_holds_the_newest_orders_by_time_across_partitions_and_decodes_only_those()
    {
        const int Orders = 1_200, Capacity = 200;
        var logs = TestLogging.Create(output.WriteLine, LogLevel.Information);
        // Every tenth order has one item (no basket), and one of the newest records does not decode: the index holds
        // the newest 200 baskets all the same.
        var published = Enumerable.Range(0, Orders).Select(n => Order(n, n % 10 == 3 ? 1 : 2 + n % 4)).ToList();
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            var partitions = new HashSet<int>();
            foreach (var order in published)
            {
                var (partition, _) = await publisher.PublishAsync(Topics.OrderEvents, order.OrderId,
                    JsonSerializer.SerializeToUtf8Bytes(order, ContractsJson.Default.OrderCompleted), order.Timestamp);
                partitions.Add(partition);
            }
            Assert.True(partitions.Count > 1, "the orders must spread over partitions for the test to mean anything");
            publisher.Publish(Topics.OrderEvents, "broken", Encoding.UTF8.GetBytes("{not json"), Start.AddMinutes(Orders - 5));
            await publisher.FlushAsync();
        }
        var baskets = published.Where(o => o.Lines.Count >= 2).ToList();
        var newest = baskets.OrderByDescending(o => o.Timestamp).Take(Capacity).Select(o => o.OrderId).ToHashSet();

        var (app, table) = Recommender(Capacity, logs);
        await using (app)
        {
            await app.StartAsync();
            await UntilRunning(app);

            Assert.Equal(Capacity, table.Baskets.Count);
            var held = baskets.Select(o => o.OrderId).Where(table.Baskets.Holds).ToHashSet();
            Assert.Equal(newest.Order(), held.Order());
            // Only the newest records were decoded: the broken one among them is counted, nothing older was read as JSON.
            Assert.Equal((Orders + 1L, (long)table.BootstrapRecords), table.Table.Bootstrap);
            Assert.Equal(1, table.Rejected);
            Assert.Equal(table.BootstrapRecords - 1, table.Table.Applied);

            // After the start the table follows the topic: a new order is held, the oldest held one is forgotten.
            var next = Order(Orders + 1, 3);
            using (var publisher = new EventPublisher(_kafka.Options))
            {
                await publisher.PublishAsync(Topics.OrderEvents, next.OrderId, JsonSerializer.SerializeToUtf8Bytes(next, ContractsJson.Default.OrderCompleted), next.Timestamp);
            }
            for (var attempt = 0; !table.Baskets.Holds(next.OrderId); attempt++)
            {
                Assert.True(attempt < 600, "the new order never reached the index");
                await Task.Delay(50);
            }
            var oldest = baskets.OrderByDescending(o => o.Timestamp).Take(Capacity).Last().OrderId;
            Assert.False(table.Baskets.Holds(oldest));
            Assert.Equal(Capacity, table.Baskets.Count);
        }
    }
}
