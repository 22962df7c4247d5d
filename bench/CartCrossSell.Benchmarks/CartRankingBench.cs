using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Topologies.Catalog;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// The streaming recommender's ranking call as `make bench-e2e` drives it: the heuristic ranker with every cart rule,
/// the Online Retail multi-buy categories and the merchandising stage (diversity on), the rows of the December 2010
/// extract (with its category rows) held as the recommender holds its replicated <c>item-neighbors</c> table
/// (<see cref="LiveEvidence"/>), the derived catalog (2,002 products, variants, prices), and the carts bench-e2e builds
/// from the same file: baskets of 2-20 distinct products, ranked after every add (every prefix). One call = one cart
/// event's ranking.
/// </summary>
public static class CartRankingBench
{
    public static int Latency(int calls = 100_000)
    {
        var orders = OrderFiles.Read(LearnedRankerBench.DataFile()).Orders.OrderBy(o => o.Timestamp).ToList();
        var catalog = new InMemoryCatalog(OnlineRetailCatalog.Derive(orders).Select(p => p.ToCatalogItem()));
        var learner = new BasketLearner();
        foreach (var o in orders)
            learner.AddOrder(o.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).ToArray(), o.Timestamp,
                sku => catalog.Find(sku)?.LeafCategory);
        var evidence = learner.Live();
        var now = orders[^1].Timestamp;
        var carts = orders
            .Select(o => o.Lines.DistinctBy(l => l.Sku, StringComparer.Ordinal).ToArray())
            .Where(lines => lines.Length is >= 2 and <= 20)
            .SelectMany(lines => Enumerable.Range(1, lines.Length)
                .Select(n => new Basket(lines.Take(n).Select(l => new BasketLine { Sku = l.Sku, Quantity = l.Quantity, UnitPrice = l.UnitPrice }))))
            .ToArray();
        var ranker = new AddOnRanker(new RecommendationOptions { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories }, learner.Clock);
        var strategies = new Dictionary<string, int>(StringComparer.Ordinal);
        var shown = 0;
        var warmup = Stopwatch.StartNew();
        for (var i = 0; warmup.Elapsed < TimeSpan.FromSeconds(3); i++) ranker.Rank(carts[i % carts.Length], catalog, evidence, now);
        var gcs = GC.CollectionCount(0);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var ticks = new long[calls];
        var byStrategy = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var list = ranker.Rank(carts[i % carts.Length], catalog, evidence, now);
            ticks[i] = Stopwatch.GetTimestamp() - start;
            shown += list.AddOns.Count;
            strategies[list.Strategy] = strategies.GetValueOrDefault(list.Strategy) + 1;
            (byStrategy.TryGetValue(list.Strategy, out var own) ? own : byStrategy[list.Strategy] = new List<long>(calls)).Add(ticks[i]);
        }
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
        Array.Sort(ticks);
        double Us(double q) => ticks[(int)Math.Min(calls - 1, q * calls)] * 1e6 / Stopwatch.Frequency;
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine($"heuristic ranking with cart rules and diversity, {carts.Length:N0} real carts of 1-20 lines, every prefix of baskets of 2-20 products ({carts.Average(c => c.Lines.Count):0.0} on average), derived catalog of {catalog.Count:N0} products, {calls:N0} calls on one thread:");
        Console.WriteLine($"  median {F(Us(0.5))} us, p90 {F(Us(0.9))} us, p99 {F(Us(0.99))} us, p99.9 {F(Us(0.999))} us; {perCall / 1024:0.0} KB allocated per call, {GC.CollectionCount(0) - gcs} gen0 collections");
        string Median(List<long> t) => F(t.Order().ElementAt(t.Count / 2) * 1e6 / Stopwatch.Frequency);
        Console.WriteLine($"  add-ons shown: {shown / (double)calls:0.00} per cart; by strategy: {string.Join(", ", strategies.OrderBy(s => s.Key).Select(s => $"{s.Key} {100.0 * s.Value / calls:0.0}% of the calls, median {Median(byStrategy[s.Key])} us"))}");
        return 0;
    }
}
