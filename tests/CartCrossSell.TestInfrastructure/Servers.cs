using CartCrossSell.Redis;
using CartCrossSell.Streams;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CartCrossSell.TestInfrastructure;

/// <summary>A fresh embedded Kafka mock cluster per fixture: real protocol over loopback, nothing shared between tests.</summary>
public sealed class KafkaFixture : IDisposable
{
    public EmbeddedKafkaCluster Cluster { get; } = EmbeddedKafkaCluster.Start();
    public KafkaOptions Options => Cluster.ToOptions();
    public void Dispose() => Cluster.Dispose();
}

/// <summary>A real redis-server on a free loopback port, persistence off, and a connection to it.</summary>
public sealed class RedisFixture : IDisposable
{
    public RedisFixture()
    {
        Server = LocalRedisServer.Start();
        Connection = ConnectionMultiplexer.Connect(Server.Configuration);
    }

    public LocalRedisServer Server { get; private set; }
    public ConnectionMultiplexer Connection { get; }

    /// <summary>Starts the server again on the same port after <see cref="LocalRedisServer.Stop"/> (an outage ends).</summary>
    public void Restart()
    {
        var port = Server.Port;
        Server.Dispose();
        Server = LocalRedisServer.Start(port);
    }

    public void Dispose()
    {
        Connection.Dispose();
        Server.Dispose();
    }
}

/// <summary>Reads what landed on a topic, from the beginning, without joining a group.</summary>
public static class TopicProbe
{
    /// <summary>
    /// Everything in the topic right now: reads every partition up to the high watermark it had when called, so a
    /// slow fetch cannot end the read early.
    /// </summary>
    public static IReadOnlyList<ConsumeResult<string, string>> ReadToEnd(KafkaOptions kafka, string topic, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "probe-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = KafkaOptions.ConsumerFetchWaitMs,
        };
        using var consumer = new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
        int partitions;
        using (var admin = new TopicAdmin(kafka)) partitions = admin.Describe([topic], TimeSpan.FromSeconds(10))[topic];
        var ends = Enumerable.Range(0, partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value)
            .ToArray();
        var remaining = Enumerable.Range(0, partitions).Where(p => ends[p] > 0).ToHashSet();
        consumer.Assign(remaining.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{topic}' not read to its end within {timeout.TotalSeconds} s");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null) continue;
            results.Add(r);
            if (r.Offset.Value >= ends[r.Partition.Value] - 1) remaining.Remove(r.Partition.Value);
        }
        consumer.Close();
        return results;
    }

    public static IReadOnlyList<ConsumeResult<string, string>> ReadAll(KafkaOptions kafka, string topic, int expectedAtLeast, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "probe-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
        using (var admin = new TopicAdmin(kafka))
        {
            var partitions = admin.Describe([topic], TimeSpan.FromSeconds(10))[topic];
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        }
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is not null) results.Add(r);
            else if (results.Count >= expectedAtLeast) break;
        }
        consumer.Close();
        return results;
    }
}

/// <summary>Logs to the xunit output (or nowhere), so a failing test shows what the topologies did.</summary>
public static class TestLogging
{
    public static ILoggerFactory Create(Action<string>? write = null, LogLevel minimum = LogLevel.Information) =>
        write is null ? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance : LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(new LineLoggerProvider(write)));

    /// <summary>A provider writing each line to <paramref name="write"/>: to add to a factory a host built (ILoggerFactory.AddProvider).</summary>
    public static ILoggerProvider Provider(Action<string> write) => new LineLoggerProvider(write);

    private sealed class LineLoggerProvider(Action<string> write) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName, write);
        public void Dispose() { }
    }

    private sealed class LineLogger(string category, Action<string> write) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // the test has finished; its output helper no longer accepts lines
            }
        }
    }
}
