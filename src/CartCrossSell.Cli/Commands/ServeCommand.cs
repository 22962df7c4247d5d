using System.CommandLine;
using System.Globalization;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Web;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell serve</c>: the web host (storefront API, widget, demo shop, dashboard), topology-free. With
/// <c>--embedded</c> it also starts the embedded Kafka, a local redis-server and every topology on the history, like the demo.
/// </summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var embedded = new Option<bool>("--embedded")
        {
            Description = "Start the embedded Kafka mock cluster and a local redis-server, backfill and learn the orders, run every topology, then serve",
        };
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var redis = CommonOptions.Redis();
        var port = new Option<int?>("--port", "-p") { Description = "Port to listen on (overrides Web:Port; default 8080; 0 picks a free one)" };
        var host = new Option<string?>("--host") { Description = "Interface to listen on (overrides Web:Host; default 127.0.0.1; * for every interface)" };
        var orders = new Option<FileInfo>("--orders")
        {
            Description = "With --embedded: the orders to learn from (default: data/online-retail-dec2010.csv of this repository)",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("data", "online-retail-dec2010.csv")),
        };
        var sessions = new Option<int>("--sessions", "-n") { Description = "With --embedded: simulated shoppers in the background, so the dashboard has figures (default 0)" };
        var verbose = new Option<bool>("--verbose") { Description = "With --embedded: show the topologies' logs" };
        var command = new Command("serve", "Serve the cart's add-ons over HTTP, the one-click add, impressions, the widget, the demo shop (/shop) and the experiment dashboard")
        {
            embedded, config, bootstrap, redis, port, host, orders, sessions, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var configuration = Hosting.ServiceConfiguration.Load(parse.GetValue(config), new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = parse.GetValue(bootstrap),
                ["Redis:Configuration"] = parse.GetValue(redis),
                ["Web:Port"] = parse.GetValue(port)?.ToString(CultureInfo.InvariantCulture),
                ["Web:Host"] = parse.GetValue(host),
            });
            if (!parse.GetValue(embedded))
            {
                await using var web = CrossSellWebHost.Build(o => Hosting.ServiceConfiguration.BindInto(configuration, o), ServiceHost.ConfigureLogging);
                try
                {
                    await web.StartAsync(ct);
                }
                catch (IOException e) when (IsBindFailure(e))
                {
                    return await CannotListenAsync(parse.InvocationConfiguration.Error, e);
                }
                await AnnounceAsync(output, CrossSellWebHost.Address(web), null);
                await WaitAsync(ct);
                await web.StopAsync(CancellationToken.None);
                return 0;
            }
            EmbeddedShop.CheckWebSettings(configuration);
            var file = parse.GetValue(orders)!;
            if (!file.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{file.FullName}: file not found (run from the repository root or pass --orders)");
                return 2;
            }
            using var loggers = Hosting.Logging.Create(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            var options = new EmbeddedShopOptions { OrdersPath = file.FullName, Sessions = parse.GetValue(sessions) };
            EmbeddedShop shop;
            try
            {
                shop = await EmbeddedShop.StartAsync(options, configuration, loggers, ServiceHost.ConfigureLogging, output, ct);
            }
            catch (IOException e) when (IsBindFailure(e))
            {
                return await CannotListenAsync(parse.InvocationConfiguration.Error, e);
            }
            await using var running = shop;
            await AnnounceAsync(output, shop.Address, options.Experiment.ExperimentId);
            await WaitAsync(ct);
            return 0;
        });
        return command;
    }

    private static async Task AnnounceAsync(TextWriter output, Uri address, string? experimentId)
    {
        var root = address.ToString().TrimEnd('/');
        await output.WriteLineAsync($"serving on {root}: the shop {root}/shop, the widget {root}{WidgetAssets.WidgetPath}, "
                                    + $"{(experimentId is null ? "the dashboards " + root + "/" : $"the dashboard {root}/experiments/{experimentId}")} (Ctrl+C to stop)");
    }

    /// <summary>The port is taken, say: the operator's to fix, in one line (exit 2).</summary>
    /// <summary>
    /// Kestrel's "failed to bind" (its cause a socket error: address in use, an address this machine does not have).
    /// Any other I/O error of the start (the orders file, redis-server) is not a listening problem and propagates.
    /// </summary>
    private static bool IsBindFailure(IOException e)
    {
        for (Exception? cause = e.InnerException; cause is not null; cause = cause.InnerException)
            if (cause is System.Net.Sockets.SocketException) return true;
        return false;
    }

    private static async Task<int> CannotListenAsync(TextWriter error, IOException e)
    {
        await error.WriteLineAsync($"cannot listen: {e.Message} (Web:Host, Web:Port, --host, --port)");
        return 2;
    }

    private static async Task WaitAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM
        }
    }
}
