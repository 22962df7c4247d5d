using System.CommandLine;

namespace CartCrossSell.Cli.Hosting;

/// <summary>Options several commands share: where configuration comes from and how to reach Kafka and Redis.</summary>
public static class CommonOptions
{
    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "JSON configuration file (sections Kafka, Streams, Redis, Learning, Recommender, Topics); environment variables CARTXSELL__Section__Key override it",
    };

    public static Option<string?> BootstrapServers() => new("--bootstrap-servers", "-b")
    {
        Description = "Kafka bootstrap servers (overrides Kafka:BootstrapServers)",
    };

    public static Option<string?> Redis() => new("--redis")
    {
        Description = "Redis configuration string, e.g. localhost:6379 (overrides Redis:Configuration)",
    };
}
