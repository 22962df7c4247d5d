using CartCrossSell.Cli.Hosting;
using Confluent.Kafka;

namespace CartCrossSell.Load;

/// <summary>What every benchmark of this project runs on: the embedded Kafka and a local redis-server, and a folder for the services' logs.</summary>
public sealed class BenchEnvironment : IDisposable
{
    private readonly EmbeddedEnvironment _environment;
    private readonly ProgressLog _log;

    private BenchEnvironment(EmbeddedEnvironment environment, string logs, ProgressLog log)
    {
        _environment = environment;
        Logs = logs;
        _log = log;
    }

    public string Logs { get; }
    public int RedisPort => _environment.Redis!.Port;
    public string BootstrapServers => _environment.Kafka.BootstrapServers;
    public EmbeddedEnvironment Embedded => _environment;

    /// <param name="logsFolder">Name of the logs folder inside the results directory.</param>
    public static BenchEnvironment Start(string resultsDirectory, string logsFolder, ProgressLog log)
    {
        var logs = Path.Combine(resultsDirectory, logsFolder);
        Directory.CreateDirectory(logs);
        var environment = new BenchEnvironment(EmbeddedEnvironment.Start(), logs, log);
        log.Line($"embedded Kafka (mock cluster) at {environment.BootstrapServers}, redis-server at 127.0.0.1:{environment.RedisPort}; service logs in {logs}");
        return environment;
    }

    /// <summary>Stops the broker and redis-server and deletes the state the services kept in the run's folder (<see cref="ServiceProcess.StateRoot"/>).</summary>
    public void Dispose()
    {
        _environment.Dispose();
        var state = ServiceProcess.StateRoot(Logs);
        try
        {
            if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Line($"could not delete {state}: {e.Message}");
        }
    }
}

/// <summary>The few Kafka and disk helpers the benchmarks share.</summary>
public static class BenchTools
{
    /// <summary>The driver's producer: idempotent, quiet (the service logs are what matter), a short linger.</summary>
    public static IProducer<string, byte[]> Producer(string bootstrap, int lingerMs = 5) =>
        new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = lingerMs, EnableIdempotence = true })
            .SetLogHandler((_, _) => { }).Build();

    /// <summary>Partitions of every topic of the embedded cluster (created on first use, no CreateTopics).</summary>
    public const int EmbeddedPartitions = 4;

    /// <summary>A client that only asks for watermarks (it joins no group).</summary>
    public static IConsumer<byte[], byte[]> WatermarkReader(string bootstrap) =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-watermarks" }).SetLogHandler((_, _) => { }).Build();

    /// <summary>Records ever written to a topic (its partitions' high watermarks) and those the broker still holds (the mock keeps the newest 5 MiB of a partition).</summary>
    public static (long Written, long Retained) Watermarks(IConsumer<byte[], byte[]> reader, string topic, int partitions)
    {
        long written = 0, retained = 0;
        for (var p = 0; p < partitions; p++)
        {
            var w = reader.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            written += w.High.Value;
            retained += w.High.Value - w.Low.Value;
        }
        return (written, retained);
    }

    /// <summary>Size of a folder's files; 0 when it is gone. RocksDB may delete a file while it is listed: that file counts as gone.</summary>
    public static long DirectoryBytes(string path)
    {
        try
        {
            return Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Exists ? f.Length : 0) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
