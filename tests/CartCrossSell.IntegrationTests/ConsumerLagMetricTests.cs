using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// <c>cartxsell_consumer_lag</c>: each group's uncommitted records per source partition, read from the broker at each
/// scrape, on the embedded cluster.
/// </summary>
public sealed partial class ConsumerLagMetricTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "lag-input";
    private const string Group = "lagging";
    private readonly KafkaFixture _kafka = new();

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task The_lag_metric_counts_what_the_group_has_not_committed_per_partition_and_drops_to_zero_once_consumed()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var streams = new StreamsOptions { ApplicationId = "lag", CommitInterval = TimeSpan.FromMilliseconds(100) };
        var builder = new StreamBuilder();
        builder.Stream(Input, new StringSerDes(), new ByteArraySerDes(), "lag-source").Foreach((_, _, _) => { }, "ignore");
        var app = new StreamApplication(new TopologyGroup(Group, builder.Build(), [Input], []), _kafka.Options, streams,
            TestLogging.Create(output.WriteLine, LogLevel.Warning), new StreamsMetrics(registry));
        try
        {
            const int Records = 40;
            using (var publisher = new EventPublisher(_kafka.Options))
            {
                for (var i = 0; i < Records; i++) publisher.Publish(Input, $"key-{i}", Encoding.UTF8.GetBytes("x"));
                await publisher.FlushAsync();
            }

            // Not started: nothing committed, every record is lag, on each of the topic's four partitions.
            var before = await LagAsync(registry);
            Assert.Equal(4, before.Count);
            Assert.All(before.Keys, k => Assert.Equal(Input, k.Topic));
            Assert.Equal(Records, before.Values.Sum());
            Assert.Contains(before.Values, lag => lag > 0);

            await app.StartAsync();
            for (var attempt = 0; !app.HasConsumedEverything(TimeSpan.FromSeconds(5)); attempt++)
            {
                Assert.True(attempt < 600, "the input was not consumed");
                await Task.Delay(100);
            }
            var after = await LagAsync(registry);
            Assert.Equal(before.Keys.OrderBy(k => k.Partition), after.Keys.OrderBy(k => k.Partition));
            Assert.All(after.Values, lag => Assert.Equal(0, lag));

            await app.DisposeAsync();
            Assert.Empty(await LagAsync(registry)); // a disposed group publishes no lag rather than its last figures
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task<Dictionary<(string Topic, int Partition), double>> LagAsync(Prometheus.CollectorRegistry registry)
    {
        await Task.Delay(StreamsMetrics.LagReadInterval); // a scrape within it publishes the last read's figures
        return (await MetricsText.OfAsync(registry)).Split('\n')
            .Select(line => LagLine().Match(line)).Where(m => m.Success)
            .ToDictionary(m => (m.Groups["topic"].Value, int.Parse(m.Groups["partition"].Value, CultureInfo.InvariantCulture)),
                m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^cartxsell_consumer_lag\{topology="lagging",topic="(?<topic>[^"]+)",partition="(?<partition>\d+)"\} (?<value>\S+)$""")]
    private static partial Regex LagLine();
}
