using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell demo</c>: the main job on the embedded default, end to end, on real baskets.</summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var orders = new Option<FileInfo>("--orders")
        {
            Description = "Orders file (default: data/online-retail-dec2010.csv of this repository)",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("data", "online-retail-dec2010.csv")),
        };
        var carts = new Option<int>("--carts") { Description = "How many real baskets to show", DefaultValueFactory = _ => 5 };
        var verbose = new Option<bool>("--verbose") { Description = "Show the topologies' logs" };
        var command = new Command("demo", "Backfill real orders into an embedded Kafka, run the topologies, and print cross-sells for real baskets read back from Redis")
        {
            orders, carts, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(orders)!;
            if (!file.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{file.FullName}: file not found (run from the repository root or pass --orders)");
                return 2;
            }
            using var loggers = Logging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            await new DemoRunner(parse.InvocationConfiguration.Output, loggers).RunAsync(file.FullName, parse.GetValue(carts), ct);
            return 0;
        });
        return command;
    }
}
