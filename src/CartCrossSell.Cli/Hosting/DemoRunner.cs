using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Hosting;

/// <summary>A demo cart: a real basket from the data, minus the item the shopper went on to buy.</summary>
public sealed record DemoCart(string CartId, HistoricalOrder Order, IReadOnlyList<HistoricalLine> InCart, HistoricalLine HeldOut);

/// <summary>What the demo saw for one cart: the value read back from Redis.</summary>
public sealed record DemoResult(DemoCart Cart, CartRecommendation Recommendation);

/// <summary>
/// The main job end to end on the embedded default: history into Kafka, the topologies learning and recommending,
/// real baskets into carts, and the cross-sells read back from Redis as the storefront would.
/// </summary>
public sealed class DemoRunner(TextWriter output, ILoggerFactory loggers)
{
    public async Task<IReadOnlyList<DemoResult>> RunAsync(string ordersPath, int carts, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var environment = EmbeddedEnvironment.Start();
        await output.WriteLineAsync($"[{clock.Elapsed:mm\\:ss}] embedded Kafka at {environment.Kafka.BootstrapServers}, redis-server at 127.0.0.1:{environment.Redis!.Port}");

        var read = OrderFiles.Read(ordersPath);
        var demoCarts = PickCarts(read.Orders, carts);
        var heldOut = demoCarts.Select(c => c.Order.OrderId).ToHashSet(StringComparer.Ordinal);

        using var publisher = new EventPublisher(environment.Kafka.ToOptions());
        var backfill = await BackfillJob.RunAsync(publisher, ordersPath, null, include: o => !heldOut.Contains(o.OrderId), rebaseTo: DateTimeOffset.UtcNow, cancellationToken: cancellationToken);
        await output.WriteLineAsync($"[{clock.Elapsed:mm\\:ss}] backfilled {backfill.Orders} orders ({backfill.OrderLines} lines) and {backfill.Products} products; {demoCarts.Count} baskets held out for the demo");

        var options = new CrossSellServiceOptions
        {
            Kafka = environment.Kafka.ToOptions(),
            Redis = new() { Configuration = environment.Redis.Configuration },
            // The derived catalog marks consumables (cards, wrap, napkins...) as multi-buy: not substitutes of each other.
            Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
        };
        await using var service = new CrossSellService(options, loggers);
        await service.StartAsync(cancellationToken);
        await WaitForLearningAsync(service, cancellationToken);
        await output.WriteLineAsync($"[{clock.Elapsed:mm\\:ss}] learned {service.Neighbors.RowCount} item and category rows; catalog of {service.Catalog.Count} products replicated");

        var storefront = new StorefrontCarts(publisher);
        var results = new List<DemoResult>();
        foreach (var cart in demoCarts)
        {
            CartEvent last = null!;
            foreach (var line in cart.InCart)
                last = storefront.AddItem(cart.CartId, $"session-{cart.CartId}", line.Sku, line.VariantId, line.Quantity, line.UnitPrice);
            last = storefront.View(cart.CartId, $"session-{cart.CartId}");
            await storefront.FlushAsync(cancellationToken);
            var recommendation = await WaitForRecommendationAsync(service, cart.CartId, last.Timestamp, cancellationToken);
            results.Add(new DemoResult(cart, recommendation));
            await PrintAsync(cart, recommendation, service);
        }
        await output.WriteLineAsync($"[{clock.Elapsed:mm\\:ss}] done: {results.Count} carts, {results.Count(r => r.Recommendation.AddOns.Any(a => a.Sku == r.Cart.HeldOut.Sku))} of them were offered the item the shopper really bought next");
        return results;
    }

    /// <summary>Deterministic choice of demo baskets: every 40th invoice with 4 to 10 distinct products.</summary>
    public static IReadOnlyList<DemoCart> PickCarts(IReadOnlyList<HistoricalOrder> orders, int count) =>
        orders.OrderBy(o => o.OrderId, StringComparer.Ordinal)
            .Where(o => o.Lines.Select(l => l.Sku).Distinct().Count() is >= 4 and <= 10)
            .Where((_, i) => i % 40 == 7)
            .Take(count)
            .Select(o => new DemoCart($"demo-{o.OrderId}", o, o.Lines.Take(o.Lines.Count - 1).ToArray(), o.Lines[^1]))
            .ToArray();

    /// <summary>Waits until the learner has published rows and nothing new arrived for two seconds.</summary>
    public static async Task WaitForLearningAsync(CrossSellService service, CancellationToken ct)
    {
        var stableSince = Stopwatch.StartNew();
        long lastApplied = -1;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            var applied = service.Neighbors.Table.Applied;
            if (applied != lastApplied)
            {
                lastApplied = applied;
                stableSince.Restart();
            }
            var learnerIdle = service.Runners.All(r => r.State == Streams.TopologyState.Running);
            if (applied > 0 && learnerIdle && stableSince.Elapsed > TimeSpan.FromSeconds(2)) return;
            await Task.Delay(200, ct);
        }
        throw new TimeoutException("the learner did not publish item-neighbors within 90 s");
    }

    /// <summary>Waits until Redis holds the cart's value for an event at or after <paramref name="eventTime"/>.</summary>
    public static async Task<CartRecommendation> WaitForRecommendationAsync(CrossSellService service, string cartId, DateTimeOffset eventTime, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var value = await service.Store!.ReadAsync(cartId, ct);
            if (value is not null && value.EventTimestamp >= eventTime) return value;
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"no recommendation for cart {cartId} in Redis within 30 s");
    }

    private async Task PrintAsync(DemoCart cart, CartRecommendation rec, CrossSellService service)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync();
        await output.WriteLineAsync($"cart {cart.CartId}  (key {service.Store!.KeyOf(cart.CartId)}, value £{rec.CartValue.ToString("0.00", c)})");
        foreach (var line in cart.InCart)
            await output.WriteLineAsync($"  in cart   {line.Quantity,3} x {Title(service, line.Sku),-38} £{line.UnitPrice.ToString("0.00", c),7}");
        if (rec.Cohort == Cohorts.Holdout)
            await output.WriteLineAsync($"  add-ons   (holdout cohort of experiment {rec.ExperimentId}: the storefront shows no module; withheld: {string.Join(", ", rec.WithheldAddOns ?? [])})");
        else if (rec.AddOns.Count == 0) await output.WriteLineAsync("  add-ons   (none: the evidence is too weak to show anything)");
        foreach (var a in rec.AddOns)
        {
            var share = rec.CartValue > 0 ? a.Price / rec.CartValue : 0;
            var hit = a.Sku == cart.HeldOut.Sku ? "  <= the shopper bought this" : "";
            await output.WriteLineAsync($"  add-on    {a.Title,-44} £{a.Price.ToString("0.00", c),7} ({share.ToString("P0", c)} of cart)  variant {a.VariantId} ({a.VariantReason}){hit}");
            await output.WriteLineAsync($"            why: {a.Reason}");
        }
        await output.WriteLineAsync($"  bought next: {Title(service, cart.HeldOut.Sku)}");
    }

    private static string Title(CrossSellService service, string sku)
    {
        var title = service.Catalog.Find(sku)?.Title ?? sku;
        return title.Length > 38 ? title[..37] + "…" : title;
    }
}
