using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Hosting;

/// <summary>What <c>cartxsell serve --embedded</c> starts besides the web host.</summary>
public sealed record EmbeddedShopOptions
{
    public required string OrdersPath { get; init; }
    /// <summary>Simulated shoppers run in the background (0: only the people using /shop), so the dashboard has figures.</summary>
    public int Sessions { get; init; }
    public long Seed { get; init; } = 42;
    /// <summary>With simulated shoppers, the oldest share of orders is history and the rest gives their baskets; without, all orders are history.</summary>
    public double HistoryShare { get; init; } = 0.6;
    /// <summary>The demo's experiment (half holdout, 20 s session gap: a session closes soon after a person stops clicking).</summary>
    public ExperimentOptions Experiment { get; init; } = new DemoOptions { OrdersPath = "" }.Experiment;
}

/// <summary>
/// <c>cartxsell serve --embedded</c>: the embedded Kafka and a local redis-server, the history backfilled and learned,
/// every topology (learner, recommender, outcomes) in this process, and the web host over them, so a person can use
/// the shop and watch the dashboard with nothing installed. The web host itself is the same as without --embedded.
/// </summary>
public sealed class EmbeddedShop : IAsyncDisposable
{
    private readonly EmbeddedEnvironment _environment;
    private readonly CrossSellService _service;
    private readonly EventPublisher _publisher;
    private readonly CancellationTokenSource _stop = new();

    private EmbeddedShop(EmbeddedEnvironment environment, CrossSellService service, EventPublisher publisher, WebApplication web)
    {
        _environment = environment;
        _service = service;
        _publisher = publisher;
        Web = web;
    }

    public WebApplication Web { get; }
    public Uri Address => CrossSellWebHost.Address(Web);
    public EmbeddedEnvironment Environment => _environment;
    public CrossSellService Service => _service;
    /// <summary>The background shoppers (completed at once when there are none).</summary>
    public Task<SimulationResult?> Simulation { get; private set; } = Task.FromResult<SimulationResult?>(null);

    /// <summary>
    /// The web host's own settings (Web:*), checked before the broker, Redis, the backfill and the learning (15 s) are
    /// started for it; the broker and Redis are the embedded ones, so their sections are bound (an unknown key is an
    /// error, as everywhere) but not validated.
    /// </summary>
    public static void CheckWebSettings(IConfiguration configuration)
    {
        var settings = new WebServiceOptions();
        ServiceConfiguration.BindInto(configuration, settings);
        settings.Web.Validate();
    }

    public static async Task<EmbeddedShop> StartAsync(EmbeddedShopOptions shop, IConfiguration configuration, ILoggerFactory loggers,
        Action<ILoggingBuilder>? webLogging, TextWriter output, CancellationToken cancellationToken = default)
    {
        CheckWebSettings(configuration);
        var environment = EmbeddedEnvironment.Start();
        CrossSellService? service = null;
        EventPublisher? publisher = null;
        WebApplication? web = null;
        try
        {
            var kafka = environment.Kafka.ToOptions();
            var redis = environment.Redis!.Configuration;
            await output.WriteLineAsync($"embedded Kafka (mock cluster) bootstrap: {kafka.BootstrapServers}; embedded redis-server: 127.0.0.1:{environment.Redis.Port}");
            var byTime = OrderFiles.Read(shop.OrdersPath).Orders.OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal).ToArray();
            var historyCount = shop.Sessions > 0 ? (int)(byTime.Length * shop.HistoryShare) : byTime.Length;
            var history = byTime.Take(historyCount).Select(o => o.OrderId).ToHashSet(StringComparer.Ordinal);
            publisher = new EventPublisher(kafka);
            var backfill = await BackfillJob.RunAsync(publisher, shop.OrdersPath, null, include: o => history.Contains(o.OrderId), rebaseTo: DateTimeOffset.UtcNow,
                cancellationToken: cancellationToken);
            await output.WriteLineAsync($"backfilled {backfill.Orders} orders and {backfill.Products} products; learning...");
            service = new CrossSellService(new CrossSellServiceOptions
            {
                Kafka = kafka,
                Redis = new() { Configuration = redis },
                Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
                Experiment = shop.Experiment,
                Topologies = ["learner", "recommender", "outcomes"],
            }, loggers);
            await service.StartAsync(cancellationToken);
            await DemoRunner.WaitForLearningAsync(service, cancellationToken);
            await output.WriteLineAsync($"learned {service.Neighbors.RowCount} rows; running {string.Join(", ", service.RunningNames)}");

            web = CrossSellWebHost.Build(o =>
            {
                ServiceConfiguration.BindInto(configuration, o);
                o.Kafka = kafka;
                o.Redis = new() { Configuration = redis };
            }, webLogging);
            await web.StartAsync(cancellationToken);
            var embedded = new EmbeddedShop(environment, service, publisher, web);
            if (shop.Sessions > 0) embedded.Simulation = embedded.SimulateAsync(shop, byTime.Skip(historyCount), output);
            return embedded;
        }
        catch
        {
            if (web is not null) await web.DisposeAsync();
            if (service is not null) await service.DisposeAsync();
            publisher?.Dispose();
            environment.Dispose();
            throw;
        }
    }

    private async Task<SimulationResult?> SimulateAsync(EmbeddedShopOptions shop, IEnumerable<HistoricalOrder> newest, TextWriter output)
    {
        await Task.Yield();
        var simulator = new ShopperSimulator(new StorefrontCarts(_publisher), _service.Store!, ShopperSimulator.BasketsFrom(newest),
            new SimulatorOptions { Seed = shop.Seed, Sessions = shop.Sessions, Concurrency = 50 },
            needsFitDecision: sku => _service.Catalog.Find(sku)?.NeedsFitDecision ?? false);
        try
        {
            var result = await simulator.RunAsync(cancellationToken: _stop.Token);
            await output.WriteLineAsync($"simulated {result.Tally.Sessions} sessions in the background ({result.EventsPublished} events); their figures appear once the sessions close");
            return result;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception e)
        {
            // Nobody awaits the background simulation but the disposal: say why it stopped, or the dashboard just stays empty.
            await output.WriteLineAsync($"the background simulation stopped: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Simulation.ContinueWith(_ => { }, TaskScheduler.Default);
        await Web.StopAsync(CancellationToken.None);
        await Web.DisposeAsync();
        await _service.DisposeAsync();
        _publisher.Dispose();
        _environment.Dispose();
        _stop.Dispose();
    }
}
