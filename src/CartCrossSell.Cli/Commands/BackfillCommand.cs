using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell backfill</c>: historical orders (and a catalog) into Kafka, for the learner.</summary>
public static class BackfillCommand
{
    public static Command Build()
    {
        var orders = new Option<FileInfo>("--orders")
        {
            Description = "Orders file: the Online Retail CSV, CSV order_id,sku[,quantity,unit_price,timestamp], or JSON Lines of order events",
            Required = true,
        };
        var catalog = new Option<FileInfo?>("--catalog")
        {
            Description = "Catalog as JSON Lines of product events; without it, an Online Retail file's catalog is derived (docs/data.md)",
        };
        var rebase = new Option<bool>("--rebase-to-now")
        {
            Description = "Shift order timestamps so the newest order is now (replay old history as recent evidence; decay would otherwise discount it)",
        };
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var command = new Command("backfill", "Publish historical orders to order-events and the catalog to catalog") { orders, catalog, rebase, config, bootstrap };
        command.SetAction(async (parse, ct) =>
        {
            var configuration = ServiceConfiguration.Load(parse.GetValue(config), new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = parse.GetValue(bootstrap),
            });
            var options = ServiceConfiguration.Bind(configuration);
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var ordersFile = parse.GetValue(orders)!;
            if (!ordersFile.Exists)
            {
                await error.WriteLineAsync($"{ordersFile.FullName}: file not found");
                return 2;
            }
            using var publisher = new EventPublisher(options.Kafka);
            // On a terminal one line rewritten in place; into a file or a pipe (a log), a line per tenth of the orders,
            // instead of one line of hundreds of carriage returns.
            var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            var tenths = -1;
            var progress = new SynchronousProgress<(int Done, int Total)>(p =>
            {
                if (terminal) output.Write($"\rbackfill: {p.Done}/{p.Total} orders");
                else if (p.Done * 10L / Math.Max(1, p.Total) is var tenth && tenth > tenths)
                {
                    tenths = (int)tenth;
                    output.WriteLine($"backfill: {p.Done}/{p.Total} orders");
                }
            });
            var report = await BackfillJob.RunAsync(publisher, ordersFile.FullName, parse.GetValue(catalog)?.FullName, progress,
                rebaseTo: parse.GetValue(rebase) ? DateTimeOffset.UtcNow : null, cancellationToken: ct);
            if (terminal) await output.WriteLineAsync();
            foreach (var problem in report.Problems) await error.WriteLineAsync(problem.ToString());
            await output.WriteLineAsync($"backfill: {report.Orders} orders ({report.OrderLines} lines, format {report.Format}) to order-events, {report.Products} products to catalog; {report.Problems.Count} bad lines skipped");
            return 0;
        });
        return command;
    }
}
