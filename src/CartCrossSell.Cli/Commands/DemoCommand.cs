using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell demo</c>: the whole story on the embedded default, from history to the holdout report.</summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var defaults = new DemoOptions { OrdersPath = "" };
        var orders = new Option<FileInfo>("--orders")
        {
            Description = "Orders file (default: data/online-retail-dec2010.csv of this repository)",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("data", "online-retail-dec2010.csv")),
        };
        var sessions = new Option<int>("--sessions", "-n") { Description = "Simulated shopper sessions", DefaultValueFactory = _ => defaults.Sessions };
        var seed = new Option<long>("--seed") { Description = "Seed of the simulated shoppers", DefaultValueFactory = _ => defaults.Seed };
        var chart = new Option<string>("--chart") { Description = "Where to write the PNG", DefaultValueFactory = _ => defaults.ChartPath };
        var verbose = new Option<bool>("--verbose") { Description = "Show the topologies' logs" };
        var command = new Command("demo", "Backfill history into an embedded Kafka, run every topology, simulate shoppers on real baskets, and report incremental revenue against the holdout")
        {
            orders, sessions, seed, chart, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(orders)!;
            if (!file.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{file.FullName}: file not found (run from the repository root or pass --orders)");
                return 2;
            }
            var demo = defaults with { OrdersPath = file.FullName, Sessions = parse.GetValue(sessions), Seed = parse.GetValue(seed), ChartPath = parse.GetValue(chart)! };
            // The simulator checks its options only after the backfill and the learning, and throws: check them now, naming the flag.
            if (!EngineInputs.TryValidate(parse.InvocationConfiguration.Error, demo.Simulator.Validate, new Dictionary<string, string> { ["Sessions"] = "--sessions" })) return 2;
            using var loggers = Logging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var outcome = await new DemoRunner(parse.InvocationConfiguration.Output, loggers).RunAsync(demo, ct);
            return outcome.Total is null ? 1 : 0;
        });
        return command;
    }
}
