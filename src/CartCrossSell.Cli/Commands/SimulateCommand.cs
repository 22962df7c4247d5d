using System.CommandLine;
using System.Globalization;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.OrderHistory;
using CartCrossSell.Redis;
using CartCrossSell.Simulation;
using CartCrossSell.Streams;
using StackExchange.Redis;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell simulate</c>: shopper sessions from real baskets against a running service (Kafka in, Redis out), with the
/// behaviour model of docs/simulation.md; prints what happened and the true effect the model implies.
/// </summary>
public static class SimulateCommand
{
    public static Command Build()
    {
        var defaults = new SimulatorOptions();
        var behaviour = new ShopperBehaviour();
        var orders = new Option<FileInfo>("--orders")
        {
            Description = "Orders file the baskets come from (default: data/online-retail-dec2010.csv of this repository)",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("data", "online-retail-dec2010.csv")),
        };
        var catalog = new Option<FileInfo?>("--catalog") { Description = "Catalog JSON Lines: products flagged needsFitDecision lower acceptance (default: none)" };
        var sessions = new Option<int?>("--sessions", "-n") { Description = $"Number of sessions (default {defaults.Sessions} unless --duration is given)" };
        var duration = new Option<double?>("--duration") { Description = "Stop starting sessions after this many seconds" };
        var rate = new Option<double>("--rate") { Description = "New sessions per second (0: as fast as --concurrency allows)", DefaultValueFactory = _ => defaults.SessionsPerSecond };
        var concurrency = new Option<int>("--concurrency") { Description = "Shoppers on the site at once", DefaultValueFactory = _ => defaults.Concurrency };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed replays the same sessions", DefaultValueFactory = _ => defaults.Seed };
        var wanted = new Option<double>("--wanted-acceptance") { Description = "Chance of taking an offered held-back item at ideal price, choice and variant", DefaultValueFactory = _ => behaviour.WantedAcceptance };
        var baseRate = new Option<double>("--base-acceptance") { Description = "Chance of taking an offered item the shopper did not plan to buy", DefaultValueFactory = _ => behaviour.BaseAcceptance };
        var heldBack = new Option<double>("--held-back-share") { Description = "Chance that a basket line (after the first) is held back as a would-be add-on", DefaultValueFactory = _ => behaviour.HeldBackShare };
        var checkout = new Option<double>("--checkout-rate") { Description = "Chance that a session ends in an order (else the cart is abandoned)", DefaultValueFactory = _ => behaviour.CheckoutRate };
        var returning = new Option<double>("--returning-visitors")
        {
            Description = "Chance that a session is an earlier session's visitor coming back (the cohort is the visitor's); 0: every session a new visitor",
            DefaultValueFactory = _ => behaviour.ReturningVisitorShare,
        };
        var repeat = new Option<double>("--repeat-basket")
        {
            Description = "Chance that a returning visitor buys the basket of their first visit again (so a visitor's sessions are alike)",
            DefaultValueFactory = _ => behaviour.RepeatBasketShare,
        };
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var redis = CommonOptions.Redis();
        var command = new Command("simulate", "Publish simulated shopper sessions built from real baskets; read the cross-sells from Redis as a storefront; print the implied true effect")
        {
            orders, catalog, sessions, duration, rate, concurrency, seed, wanted, baseRate, heldBack, checkout, returning, repeat, config, bootstrap, redis,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var ordersFile = parse.GetValue(orders)!;
            if (!ordersFile.Exists)
            {
                await error.WriteLineAsync($"{ordersFile.FullName}: file not found");
                return 2;
            }
            var configuration = ServiceConfiguration.Load(parse.GetValue(config), new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = parse.GetValue(bootstrap),
                ["Redis:Configuration"] = parse.GetValue(redis),
            });
            var service = ServiceConfiguration.Bind(configuration);
            service.Kafka.Validate();
            var duration_ = parse.GetValue(duration);
            var options = new SimulatorOptions
            {
                Seed = parse.GetValue(seed),
                Sessions = parse.GetValue(sessions) ?? (duration_ is null ? defaults.Sessions : null),
                Duration = duration_ is { } s ? TimeSpan.FromSeconds(s) : null,
                SessionsPerSecond = parse.GetValue(rate),
                Concurrency = parse.GetValue(concurrency),
                Behaviour = behaviour with
                {
                    WantedAcceptance = parse.GetValue(wanted), BaseAcceptance = parse.GetValue(baseRate),
                    HeldBackShare = parse.GetValue(heldBack), CheckoutRate = parse.GetValue(checkout),
                    ReturningVisitorShare = parse.GetValue(returning), RepeatBasketShare = parse.GetValue(repeat),
                },
            };
            if (!EngineInputs.TryValidate(error, options.Validate, Flags)) return 2;
            try
            {
                service.Redis.Validate();
            }
            catch (ArgumentException e)
            {
                await error.WriteLineAsync($"simulate: {e.Message}");
                return 2;
            }
            var read = OrderFiles.Read(ordersFile.FullName);
            foreach (var problem in read.Problems) await error.WriteLineAsync(problem.ToString());
            var baskets = ShopperSimulator.BasketsFrom(read.Orders);
            Func<string, bool>? needsFit = null;
            if (parse.GetValue(catalog) is { } catalogFile)
            {
                var products = CatalogFiles.Read(catalogFile.FullName);
                foreach (var problem in products.Problems) await error.WriteLineAsync(problem.ToString());
                var fit = products.Items.Where(p => p.NeedsFitDecision).Select(p => p.Sku).ToHashSet(StringComparer.Ordinal);
                needsFit = fit.Contains;
            }
            await output.WriteLineAsync($"simulate: {baskets.Count} baskets from {ordersFile.Name}, seed {options.Seed}, Kafka {service.Kafka.BootstrapServers}, Redis {service.Redis.Configuration}");
            ConnectionMultiplexer connection;
            try
            {
                connection = await ConnectionMultiplexer.ConnectAsync(service.Redis.Configuration);
            }
            catch (RedisConnectionException e)
            {
                await error.WriteLineAsync($"simulate: cannot reach Redis at '{service.Redis.Configuration}' (Redis:Configuration or --redis): {e.Message}");
                return 2;
            }
            using var _ = connection;
            using var publisher = new EventPublisher(service.Kafka);
            var store = new RecommendationStore(connection, service.Redis);
            var lastReport = DateTime.MinValue;
            var progress = new SynchronousProgress<SimulationProgress>(p =>
            {
                if (DateTime.UtcNow - lastReport < TimeSpan.FromSeconds(1) && p.Finished != p.Target) return;
                lastReport = DateTime.UtcNow;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulate: {p.Finished}/{p.Target?.ToString(CultureInfo.InvariantCulture) ?? "?"} sessions finished, {p.EventsPublished} events"));
            });
            var result = await new ShopperSimulator(new StorefrontCarts(publisher), store, baskets, options, needsFit).RunAsync(progress, ct);
            await output.WriteAsync(SimulationSummary.Render(result));
            return 0;
        });
        return command;
    }

    /// <summary>The flags behind <see cref="SimulatorOptions"/>' and <see cref="ShopperBehaviour"/>'s properties, so a refusal names what the operator typed.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Sessions"] = "--sessions", ["Duration"] = "--duration", ["SessionsPerSecond"] = "--rate", ["Concurrency"] = "--concurrency",
        ["WantedAcceptance"] = "--wanted-acceptance", ["BaseAcceptance"] = "--base-acceptance", ["HeldBackShare"] = "--held-back-share",
        ["CheckoutRate"] = "--checkout-rate", ["ReturningVisitorShare"] = "--returning-visitors",
        ["RepeatBasketShare"] = "--repeat-basket",
    };
}
