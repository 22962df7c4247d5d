using System.CommandLine;

namespace CartCrossSell.Cli.Hosting;

/// <summary>Options several commands share: where configuration comes from and how to reach Kafka and Redis.</summary>
public static class CommonOptions
{
    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "JSON configuration file (the sections the command reads, e.g. Kafka, Redis; README \"Configuration\"); environment variables CARTXSELL__Section__Key override it",
    };

    public static Option<string?> BootstrapServers() => new("--bootstrap-servers", "-b")
    {
        Description = "Kafka bootstrap servers (overrides Kafka:BootstrapServers)",
    };

    public static Option<string?> Redis() => new("--redis")
    {
        Description = "Redis configuration string, e.g. localhost:6379 (overrides Redis:Configuration)",
    };

    /// <summary>
    /// The configuration of a command that only talks to Kafka: <c>--config</c>, environment, then <c>-b</c>, bound
    /// and with its Kafka section validated (a bad key throws the validation error naming it).
    /// </summary>
    public static (Microsoft.Extensions.Configuration.IConfiguration Configuration, Topologies.Hosting.CrossSellServiceOptions Options) KafkaOnly(
        ParseResult parse, Option<FileInfo?> config, Option<string?> bootstrap)
    {
        var configuration = ServiceConfiguration.Load(parse.GetValue(config), new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = parse.GetValue(bootstrap),
        });
        var options = ServiceConfiguration.Bind(configuration);
        options.Kafka.Validate();
        return (configuration, options);
    }
}
