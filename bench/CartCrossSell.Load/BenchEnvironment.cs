using CartCrossSell.Cli.Hosting;

namespace CartCrossSell.Load;

/// <summary>What every benchmark of this project runs on: the embedded Kafka and a local redis-server, and a folder for the services' logs.</summary>
public sealed class BenchEnvironment : IDisposable
{
    private readonly EmbeddedEnvironment _environment;

    private BenchEnvironment(EmbeddedEnvironment environment, string logs)
    {
        _environment = environment;
        Logs = logs;
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
        var environment = new BenchEnvironment(EmbeddedEnvironment.Start(), logs);
        log.Line($"embedded Kafka (mock cluster) at {environment.BootstrapServers}, redis-server at 127.0.0.1:{environment.RedisPort}; service logs in {logs}");
        return environment;
    }

    public void Dispose() => _environment.Dispose();
}
