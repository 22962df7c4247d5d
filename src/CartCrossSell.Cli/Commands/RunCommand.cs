using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell run</c>: the service. Any subset of topologies, so an operator can scale them separately.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var embedded = new Option<bool>("--embedded")
        {
            Description = "Start the embedded Kafka mock cluster (and a local redis-server unless --redis is given); prints their addresses",
        };
        var topologies = new Option<string[]>("--topologies", "-t")
        {
            Description = $"Topology groups to run: {string.Join(", ", TopologyNames.Selectable)} (default: learner and recommender)",
            AllowMultipleArgumentsPerToken = true,
        };
        topologies.AcceptOnlyFromAmong([.. TopologyNames.Selectable]);
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var redis = CommonOptions.Redis();
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "Port of /metrics, /health/live and /health/ready (overrides Monitoring:Port; 0 turns it off; default 9464)",
        };
        var command = new Command("run", "Run the streaming topologies until interrupted (Ctrl+C)") { embedded, topologies, config, bootstrap, redis, metricsPort };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var environment = parse.GetValue(embedded) ? EmbeddedEnvironment.Start(startRedis: parse.GetValue(redis) is null) : null;
            var configuration = ServiceConfiguration.Load(parse.GetValue(config), new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = environment?.Kafka.BootstrapServers ?? parse.GetValue(bootstrap),
                ["Redis:Configuration"] = parse.GetValue(redis) ?? environment?.Redis?.Configuration,
                ["Monitoring:Port"] = parse.GetValue(metricsPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            if (environment is not null)
            {
                await output.WriteLineAsync($"embedded Kafka (mock cluster) bootstrap: {environment.Kafka.BootstrapServers}");
                if (environment.Redis is { } r) await output.WriteLineAsync($"embedded redis-server: 127.0.0.1:{r.Port}");
            }
            using var host = ServiceHost.Build(configuration, parse.GetValue(topologies));
            return await ServiceHost.RunAsync(host, output, ct);
        });
        return command;
    }
}
