using System.Text;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// A task's RocksDB checkpoint must follow its changelog while it runs, or a SIGKILL costs a replay of everything it
/// logged since it started: Streamiz 1.8.2 writes one at a commit only after it has written one at a close or a
/// revocation (<see cref="TaskState.CheckpointAsTheLogGrows"/>).
/// </summary>
public sealed class CheckpointTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "checkpoint-input";
    private const string SeenStore = "seen";
    private readonly KafkaFixture _kafka = new();
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"cartxsell-checkpoint-{Guid.NewGuid():N}");

    public void Dispose()
    {
        _kafka.Dispose();
        if (Directory.Exists(_state)) Directory.Delete(_state, recursive: true);
    }

    private sealed class Text : IValueCodec<string>
    {
        public Decoded<string> Decode(ReadOnlySpan<byte> bytes) => Decoded<string>.Success(Encoding.UTF8.GetString(bytes));
        public byte[] Encode(string value) => Encoding.UTF8.GetBytes(value);
    }

    /// <summary>Remembers every key it sees: one changelog record per input record.</summary>
    private sealed class Remember(ProcessorRuntime runtime) : RecordProcessor<string>(runtime, new Text())
    {
        private IKeyValueStore<string, string> _seen = null!;

        protected override void Init() => _seen = Store<IKeyValueStore<string, string>>(SeenStore);

        protected override void Process(InputRecord<string> record) => _seen.Put(record.Key!, record.Value);
    }

    /// <summary>A group that remembers every key of <see cref="Input"/> in a RocksDB store, committing every 100 ms, its state in this test's directory.</summary>
    private StreamApplication Remembering(string applicationId, string group)
    {
        var streams = new StreamsOptions { ApplicationId = applicationId, CommitInterval = TimeSpan.FromMilliseconds(100), StateDirectory = _state };
        var builder = new StreamBuilder();
        builder.Stream(Input, new StringSerDes(), new ByteArraySerDes(), "checkpoint-source")
            .Transform(Processors.Supplier(() => new Remember(ProcessorRuntime.For("remember", streams)), StateStores.KeyValue(SeenStore, new Text(), streams)), "remember")
            .ToRoutedTopics("remember-sink");
        return new StreamApplication(new TopologyGroup(group, builder.Build(), [Input], []), _kafka.Options, streams,
            TestLogging.Create(output.WriteLine, LogLevel.Warning));
    }

    [Fact]
    public async Task A_running_task_checkpoints_its_store_as_the_changelog_grows_not_only_at_close()
    {
        await using var app = Remembering("checkpoint", "checkpointing");
        await app.StartAsync();

        // Over 10,000 changelog records on each of the four tasks (one per input partition).
        const int Keys = 60_000;
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            for (var i = 0; i < Keys; i++) publisher.Publish(Input, $"key-{i}", Encoding.UTF8.GetBytes("x"));
            await publisher.FlushAsync();
        }
        for (var attempt = 0; !app.HasConsumedEverything(TimeSpan.FromSeconds(5)); attempt++)
        {
            Assert.True(attempt < 600, "the input was not consumed");
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(1)); // a few more commits

        // Still running: every task that logged more than 10,000 records has a checkpoint of its changelog.
        var checkpoints = Directory.EnumerateFiles(_state, ".checkpoint", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("checkpoint-checkpointing-seen-changelog", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, checkpoints.Length);
    }

    /// <summary>
    /// RocksDB's memtables reach disk when a task writes its checkpoint, not at every commit (CheckpointFlushes):
    /// Streamiz flushed every store at every commit, a new table file each time (2.6 ms of a recommender's commit).
    /// </summary>
    [Fact]
    public async Task Commits_leave_the_memtables_in_memory_and_the_checkpoint_at_close_puts_them_on_disk()
    {
        var app = Remembering("deferred", "deferring");
        await app.StartAsync();

        // Ten rounds of changes a few commits apart, far below the 10,000 changelog records of a checkpoint.
        var published = 0;
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            for (var round = 0; round < 10; round++)
            {
                for (var i = 0; i < 100; i++) publisher.Publish(Input, $"key-{published++}", Encoding.UTF8.GetBytes("x"));
                await publisher.FlushAsync();
                for (var attempt = 0; !app.HasConsumedEverything(TimeSpan.FromSeconds(5)); attempt++)
                {
                    Assert.True(attempt < 600, "the input was not consumed");
                    await Task.Delay(50);
                }
                await Task.Delay(300); // three commits
            }
        }
        string[] TableFiles() => Directory.EnumerateFiles(_state, "*.sst", SearchOption.AllDirectories).ToArray();
        var storeDirectories = Directory.EnumerateDirectories(_state, "*", SearchOption.AllDirectories).Count(d => Path.GetFileName(d) == SeenStore);
        Assert.Equal(4, storeDirectories); // a RocksDB store per task, open
        Assert.Empty(TableFiles()); // every flush so far was a commit's

        await app.DisposeAsync(); // a clean close writes every task's checkpoint

        var checkpoints = Directory.EnumerateFiles(_state, ".checkpoint", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("deferred-deferring-seen-changelog", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, checkpoints.Length);
        Assert.True(TableFiles().Length >= 4, $"each task's memtable on disk at its checkpoint: {TableFiles().Length} table files");
    }
}
