using System.Text;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// A group's close is bounded by <c>Streams:CloseTimeout</c>: librdkafka's consumer close can hang in its rebalance
/// callback (seen in a CI run: two stream threads of one group closing together, one stuck in <c>rd_kafka_assign</c>),
/// and the instance must still shut down. Here a real close simply takes longer than a timeout of 1 ms.
/// </summary>
public sealed class CloseTimeoutTests(ITestOutputHelper output) : IDisposable
{
    private const string Input = "close-timeout-input";
    private readonly KafkaFixture _kafka = new();

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task A_close_longer_than_Streams_CloseTimeout_is_not_waited_for_and_the_application_completes()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var logs = TestLogging.Create(line =>
        {
            lines.Enqueue(line);
            output.WriteLine(line);
        }, LogLevel.Warning);
        var app = CountingGroup.Create(Input, _kafka.Options,
            new StreamsOptions { ApplicationId = "close-timeout", CloseTimeout = TimeSpan.FromMilliseconds(1) }, logs);
        await app.StartAsync();
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            for (var i = 0; i < 100; i++) publisher.Publish(Input, $"key-{i}", Encoding.UTF8.GetBytes("x"));
            await publisher.FlushAsync();
        }
        await app.WaitUntilRunningAsync(TimeSpan.FromSeconds(60));

        await app.DisposeAsync();

        Assert.True(app.Completion.IsCompleted, "the application counts as stopped once its dispose returns");
        Assert.Contains(lines, l => l.Contains("did not close within", StringComparison.Ordinal) && l.Contains("Streams:CloseTimeout", StringComparison.Ordinal));
        // The close went on without the dispose, and ends on its own (before the embedded cluster is taken down).
        Assert.NotNull(app.Closing);
        await app.Closing!.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_close_timeout_that_is_not_positive_is_refused_at_start()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new StreamsOptions { CloseTimeout = TimeSpan.Zero }.Validate());
        Assert.Contains("Streams:CloseTimeout", error.Message);
    }
}
