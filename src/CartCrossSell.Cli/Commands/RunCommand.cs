using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using Microsoft.Extensions.Logging;

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
            var options = ServiceConfiguration.Bind(configuration);
            var selected = parse.GetValue(topologies);
            if (selected is { Length: > 0 }) options.Topologies = selected;
            if (environment is not null)
            {
                await output.WriteLineAsync($"embedded Kafka (mock cluster) bootstrap: {environment.Kafka.BootstrapServers}");
                if (environment.Redis is { } r) await output.WriteLineAsync($"embedded redis-server: 127.0.0.1:{r.Port}");
            }
            using var loggers = Logging.Create(LogLevel.Information);
            await using var service = new CrossSellService(options, loggers);
            await using var monitoring = options.Monitoring.Port == 0 ? null
                : new MonitoringEndpoint(options.Monitoring, service.Metrics, () => service.IsLive, () => service.IsReady, loggers.CreateLogger("CartCrossSell.Monitoring"));
            monitoring?.Start();
            if (monitoring is not null) await output.WriteLineAsync($"metrics and health: {monitoring.Prefix}metrics, {monitoring.Prefix}health/ready");
            await service.StartAsync(ct);
            await output.WriteLineAsync($"running: {string.Join(", ", service.Applications.Select(a => a.Name).Concat(service.Runners.Select(r => r.Name)))} (Ctrl+C to stop)");
            await Task.WhenAny(service.Completion, Task.Delay(Timeout.Infinite, ct)).ContinueWith(_ => { }, TaskScheduler.Default);
            return ct.IsCancellationRequested ? 0 : 1;
        });
        return command;
    }
}
