using System.Text;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// A group's close is bounded by <c>Streams:CloseTimeout</c>: librdkafka's consumer close can hang in its rebalance
/// callback (seen in a CI run: two stream threads of one group closing together, one stuck in <c>rd_kafka_assign</c>),
/// and the instance must still shut down. Here the close is slow for a reason of the test's own: a processor that takes
/// 3 s to close, against a timeout of 500 ms.
/// </summary>
public sealed class CloseTimeoutTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "close-timeout-input";
    private static readonly TimeSpan SlowClose = TimeSpan.FromSeconds(3);
    private readonly KafkaFixture _kafka = new();

    public void Dispose() => _kafka.Dispose();

    private sealed class Bytes : IValueCodec<byte[]>
    {
        public Decoded<byte[]> Decode(ReadOnlySpan<byte> bytes) => Decoded<byte[]>.Success(bytes.ToArray());
        public byte[] Encode(byte[] value) => value;
    }

    /// <summary>Processes nothing of note, and takes <see cref="SlowClose"/> to close.</summary>
    private sealed class SlowToClose(ProcessorRuntime runtime) : RecordProcessor<byte[]>(runtime, new Bytes())
    {
        protected override void Process(InputRecord<byte[]> record) { }

        public override void Close() => Thread.Sleep(SlowClose);
    }

    [Fact]
    public async Task A_close_longer_than_Streams_CloseTimeout_is_not_waited_for_and_the_application_completes()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var logs = TestLogging.Create(line =>
        {
            lines.Enqueue(line);
            output.WriteLine(line);
        }, LogLevel.Warning);
        var streams = new StreamsOptions { ApplicationId = "close-timeout", CloseTimeout = TimeSpan.FromMilliseconds(500) };
        var builder = new StreamBuilder();
        builder.Stream(Input, new StringSerDes(), new ByteArraySerDes(), "close-timeout-source")
            .Transform(Processors.Supplier(() => new SlowToClose(ProcessorRuntime.For("slow-to-close", streams))), "slow-to-close")
            .ToRoutedTopics("close-timeout-sink");
        var app = new StreamApplication(new TopologyGroup("slow", builder.Build(), [Input], []), _kafka.Options, streams, logs);
        await app.StartAsync();
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            for (var i = 0; i < 100; i++) publisher.Publish(Input, $"key-{i}", Encoding.UTF8.GetBytes("x"));
            await publisher.FlushAsync();
        }
        await app.WaitUntilRunningAsync(TimeSpan.FromSeconds(60));

        await app.DisposeAsync();

        Assert.True(app.Completion.IsCompleted, "the application counts as stopped once its dispose returns");
        Assert.NotNull(app.Closing);
        Assert.False(app.Closing!.IsCompleted, "the dispose returned while the close was still going");
        Assert.Contains(lines, l => l.Contains("did not close within", StringComparison.Ordinal) && l.Contains("Streams:CloseTimeout", StringComparison.Ordinal));
        // The close goes on without the dispose and ends on its own (before the embedded cluster is taken down).
        await app.Closing.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_close_timeout_that_is_not_positive_is_refused_at_start()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new StreamsOptions { CloseTimeout = TimeSpan.Zero }.Validate());
        Assert.Contains("Streams:CloseTimeout", error.Message);
    }
}
