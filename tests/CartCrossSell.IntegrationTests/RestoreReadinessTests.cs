using System.Text;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// <see cref="StreamApplication.IsRunning"/> (and so <c>/health/ready</c>) must mean "stores restored". Streamiz 1.8.2
/// reports RUNNING for the stream as soon as its partitions are assigned, while its tasks still restore their stores:
/// a recommender restarted without local state answered ready seconds before its 100,000 carts were back
/// (<c>make bench-restart</c>).
/// </summary>
public sealed class RestoreReadinessTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "restore-readiness-input";
    private readonly KafkaFixture _kafka = new();

    public void Dispose() => _kafka.Dispose();

    private StreamApplication Counting(ILoggerFactory logs)
    {
        var builder = new StreamBuilder();
        builder.Stream<string, byte[], StringSerDes, ByteArraySerDes>(Input)
            .GroupByKey()
            .Count(RocksDb.As<string, long>("counts").WithKeySerdes<StringSerDes>().WithValueSerdes<Int64SerDes>());
        // No state directory: each instance starts on an empty temporary one, so its store comes back from the changelog only.
        return new StreamApplication(new TopologyGroup("counting", builder.Build(), [Input], []), _kafka.Options,
            new StreamsOptions { ApplicationId = "restore-readiness", CommitInterval = TimeSpan.FromMilliseconds(50) }, logs);
    }

    [Fact]
    public async Task A_group_restarted_without_local_state_counts_as_running_only_once_its_store_is_restored()
    {
        const int Keys = 30_000;
        var logs = TestLogging.Create(output.WriteLine, LogLevel.Warning);
        await using (var first = Counting(logs))
        {
            await first.StartAsync();
            using (var publisher = new EventPublisher(_kafka.Options))
            {
                for (var i = 0; i < Keys; i++) publisher.Publish(Input, $"key-{i}", Encoding.UTF8.GetBytes("x"));
                await publisher.FlushAsync();
            }
            for (var attempt = 0; !first.HasConsumedEverything(TimeSpan.FromSeconds(5)); attempt++)
            {
                Assert.True(attempt < 600, "the first instance did not commit its input");
                await Task.Delay(100);
            }
        }

        await using var second = Counting(logs);
        await second.StartAsync();
        // What /health/ready names while the group waits (CrossSellService.NotReadyBecause puts the group's name first),
        // read every millisecond on a thread of its own: the restore of these keys is brief, and the same loop on the
        // thread pool (an await between reads) missed it on a loaded CI run (it saw "rebalancing" only).
        var (said, restoredWhenRunning) = await Task.Factory.StartNew(() =>
        {
            var seen = new List<string>();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (second.NotRunningBecause is { } because)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "the second instance never ran");
                if (seen.Count == 0 || seen[^1] != because) seen.Add(because);
                if (second.Completion.IsCompleted) second.Completion.GetAwaiter().GetResult();
                Thread.Sleep(1);
            }
            return (seen, second.RestoredRecords);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.True(restoredWhenRunning >= Keys, $"running with {restoredWhenRunning} of at least {Keys} changelog records restored");
        Assert.Equal(second.RestoredRecords, restoredWhenRunning); // nothing restored after it counted as running
        output.WriteLine("waiting, in turn: " + string.Join(" → ", said));
        Assert.Contains("restoring its stores", said);
        Assert.True(second.IsRunning);
    }
}
