using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace CartCrossSell.Streams.Tests;

/// <summary>The processing layer against the embedded mock cluster: restore, idempotent replay, dead letters.</summary>
public sealed class TopologyRunnerTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "visits";
    private readonly KafkaFixture _kafka = new();

    /// <summary>Counts values per key in a changelogged store; the simplest stateful topology.</summary>
    private sealed class Counter : IProcessor<CountedVisit>
    {
        private IKeyValueStore<CountedVisit> _store = null!;
        public void Init(IProcessorContext context) => _store = context.GetStore<CountedVisit>("visit-counts");

        public void Process(InputRecord<CountedVisit> record)
        {
            var current = _store.Get(record.Value.Page) ?? new CountedVisit { Page = record.Value.Page, Count = 0 };
            _store.Put(record.Value.Page, current with { Count = current.Count + record.Value.Count });
        }
    }

    public sealed record CountedVisit
    {
        public required string Page { get; init; }
        public required int Count { get; init; }
    }

    private static readonly IValueCodec<CountedVisit> Codec = new JsonContractCodec<CountedVisit>(
        TestJson.Default.CountedVisit, v => v.Count < 0 ? ["count must not be negative"] : []);

    private TopologyRunner<CountedVisit> Runner() => new(
        new TopologyBuilder<CountedVisit>("visit-counter", Input, Codec)
            .WithStore(StoreSpec.KeyValue("visit-counts", Codec))
            .WithProcessor(_ => new Counter())
            .Build(),
        _kafka.Options, new StreamsOptions { ApplicationId = "test" }, TestLogging.Create(output.WriteLine));

    private void Publish(int visits, string page = "home")
    {
        using var publisher = new EventPublisher(_kafka.Options);
        for (var i = 0; i < visits; i++)
            publisher.Publish(Input, page, JsonSerializer.SerializeToUtf8Bytes(new CountedVisit { Page = page, Count = 1 }, TestJson.Default.CountedVisit));
        publisher.FlushAsync().GetAwaiter().GetResult();
    }

    private static async Task<int> WaitForCount(Func<int> read, int expected)
    {
        for (var i = 0; i < 400 && read() < expected; i++) await Task.Delay(50);
        await Task.Delay(300); // anything more would be a double count
        return read();
    }

    private static int Count(IReadOnlyList<ConsumeResult<string, string>> changelog)
    {
        var last = changelog.LastOrDefault(r => r.Message.Key == "home");
        return last is null ? 0 : JsonSerializer.Deserialize(last.Message.Value, TestJson.Default.CountedVisit)!.Count;
    }

    [Fact]
    public async Task State_is_restored_from_the_changelog_and_replayed_input_is_not_counted_twice()
    {
        Publish(40);
        using (var cts = new CancellationTokenSource())
        {
            await using var first = Runner();
            var run = first.RunAsync(cts.Token);
            var counted = await WaitForCount(() => Count(TopicProbe.ReadAll(_kafka.Options, "test-visit-counts-changelog", 1, TimeSpan.FromSeconds(2))), 40);
            Assert.Equal(40, counted);
            cts.Cancel();
            await run;
        }

        Publish(10);
        using (var cts = new CancellationTokenSource())
        {
            await using var second = Runner();
            var run = second.RunAsync(cts.Token);
            var counted = await WaitForCount(() => Count(TopicProbe.ReadAll(_kafka.Options, "test-visit-counts-changelog", 1, TimeSpan.FromSeconds(2))), 50);
            Assert.Equal(50, counted);
            Assert.True(second.Counters.RestoredRecords > 0, "the second instance restored from the changelog");
            cts.Cancel();
            await run;
        }
    }

    [Fact]
    public async Task A_crash_after_the_changelog_write_but_before_the_offset_commit_counts_nothing_twice()
    {
        Publish(40);
        await using (var crashing = Runner())
        {
            crashing.OnCommitStage = stage =>
            {
                // The first commit with processed records (idle commits before it have nothing to lose).
                if (stage == CommitStage.AfterChangelog && crashing.Counters.Processed > 0)
                    throw new IOException("killed between changelog write and commit");
            };
            var crashed = await Assert.ThrowsAsync<IOException>(() => crashing.RunAsync());
            Assert.Equal(TopologyState.Failed, crashing.State);
            Assert.True(crashing.Counters.Processed > 0);
        }

        Publish(10);
        using var cts = new CancellationTokenSource();
        await using var restarted = Runner();
        var run = restarted.RunAsync(cts.Token);
        var counted = await WaitForCount(() => Count(TopicProbe.ReadAll(_kafka.Options, "test-visit-counts-changelog", 1, TimeSpan.FromSeconds(2))), 50);
        Assert.Equal(50, counted);
        Assert.True(restarted.Counters.SkippedAsApplied > 0, "records already in the restored state were skipped, not counted again");
        cts.Cancel();
        await run;
    }

    [Fact]
    public async Task Bad_records_become_dead_letters_with_coordinates_and_the_partition_keeps_flowing()
    {
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            publisher.Publish(Input, "home", Encoding.UTF8.GetBytes("not json"));
            publisher.Publish(Input, "home", JsonSerializer.SerializeToUtf8Bytes(new CountedVisit { Page = "home", Count = -3 }, TestJson.Default.CountedVisit));
            publisher.Publish(Input, "home", Enumerable.Repeat((byte)0xFF, 100_000).ToArray()); // not even UTF-8
            publisher.Publish(Input, "home", null);
            await publisher.FlushAsync();
        }
        Publish(5);
        using var cts = new CancellationTokenSource();
        await using var runner = Runner();
        var run = runner.RunAsync(cts.Token);
        var counted = await WaitForCount(() => Count(TopicProbe.ReadAll(_kafka.Options, "test-visit-counts-changelog", 1, TimeSpan.FromSeconds(2))), 5);
        Assert.Equal(5, counted);

        var dead = TopicProbe.ReadAll(_kafka.Options, Topics.DeadLetters, 4, TimeSpan.FromSeconds(10))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.DeadLetter)!).OrderBy(d => d.SourceOffset).ToArray();
        Assert.Equal([DeadLetterKinds.Unparseable, DeadLetterKinds.Invalid, DeadLetterKinds.Oversized, DeadLetterKinds.Invalid], dead.Select(d => d.Kind));
        Assert.Equal([0L, 1L, 2L, 3L], dead.Select(d => d.SourceOffset));
        Assert.All(dead, d => Assert.Equal((Input, "test-visit-counter"), (d.SourceTopic, d.Processor)));
        Assert.Contains("count must not be negative", dead[1].Reason);
        Assert.Equal("not json", dead[0].Payload);
        Assert.Equal("base64", dead[2].PayloadEncoding);
        Assert.Equal(4, runner.Counters.DeadLettered);
        cts.Cancel();
        await run;
    }

    public void Dispose() => _kafka.Dispose();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(TopologyRunnerTests.CountedVisit))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
