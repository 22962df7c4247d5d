using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.OrderHistory;
using CartCrossSell.Ranking.Training;
using CartCrossSell.Topologies.Catalog;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// The learned ranker on real data: a model trained on an Online Retail orders file (the December 2010 extract in data/
/// unless a mode is given another), evidence of its orders, and ten-item carts cut from its invoices. One call =
/// candidates from every source (the similar-baskets index holding the same orders), 40 features per candidate, the trees,
/// calibration and the cart rules. Without a
/// catalog (the default) neither the category source nor the catalog rules run; with one (<c>--catalog</c>: the
/// derived catalog of the same orders, 2,002 products for the December extract) the call is the streaming
/// recommender's: category rows learned, the model trained with the catalog, the rows held as its replicated
/// <c>item-neighbors</c> table holds them (<see cref="LiveEvidence"/>), the Online Retail multi-buy categories, every
/// catalog rule (substitutes, price cap and band, variants, stock, diversity).
/// </summary>
public sealed class LearnedRankerBench
{
    /// <param name="ordersPath">The orders to train on and cut carts from; the December 2010 extract in data/ by default.</param>
    /// <param name="withCatalog">Rank as the streaming recommender does, with the derived catalog (see the class).</param>
    public LearnedRankerBench(string? ordersPath = null, bool withCatalog = false)
    {
        OrdersPath = ordersPath ?? DataFile();
        if (!File.Exists(OrdersPath)) throw new FileNotFoundException($"{OrdersPath}: orders file not found", OrdersPath);
        var read = OrderFiles.Read(OrdersPath).Orders;
        var orders = read
            .Select(o => new EvalOrder(o.OrderId, o.Timestamp, o.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList()))
            .OrderBy(o => o.Timestamp).ToList();
        var catalog = withCatalog ? new InMemoryCatalog(OnlineRetailCatalog.Derive(read).Select(p => p.ToCatalogItem())) : null;
        var (model, _) = RankerTrainer.Train(orders, catalog);
        var learner = new BasketLearner();
        var similarBaskets = new SimilarBaskets();
        foreach (var o in orders)
        {
            var skus = OfflineEvaluation.DistinctSkus(o);
            learner.AddOrder(skus, o.Timestamp, catalog is null ? null : sku => catalog.Find(sku)?.LeafCategory);
            similarBaskets.Add(o.OrderId, skus);
        }
        IBasketEvidence evidence = catalog is null ? learner.Compact() : learner.Live();
        Catalog = catalog;
        // The baskets a recommender holds (its order-events table), as every learned ranking in the stream reads them.
        Inputs = new RankingInputs(evidence, catalog, learner.Clock, RankingInputs.BestSellersOf(learner.Items())) { SimilarBaskets = similarBaskets };
        Ranker = new LearnedAddOnRanker(model, catalog is null
            ? new RecommendationOptions { AllowUnknownItems = true }
            : new RecommendationOptions { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories });
        Now = orders[^1].Timestamp;
        Carts = orders.Where(o => o.Lines.Count >= 10)
            .Select(o => new Basket(o.Lines.Take(10).Select(l => new BasketLine { Sku = l.Sku, Quantity = l.Quantity, UnitPrice = l.UnitPrice })))
            .Take(1024).ToArray();
        CartSkus = Carts.Select(c => (IReadOnlyList<string>)c.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).ToArray()).ToArray();
    }

    /// <summary>The catalog the calls rank with, or null (the default: no catalog).</summary>
    public InMemoryCatalog? Catalog { get; }

    /// <summary>What the bench ranks with, for the printed header.</summary>
    public string Describe() => $"model {Ranker.Model.Version} trained on {OrdersPath}: {Ranker.Model.Cascade}; " +
        (Catalog is null ? "no catalog" : $"derived catalog of {Catalog.Count:N0} products, rows as the stream holds them");

    public string OrdersPath { get; }

    /// <summary>Each cart's distinct skus, as the similar-baskets index reads them.</summary>
    public IReadOnlyList<string>[] CartSkus { get; }
    public RankingInputs Inputs { get; }
    public LearnedAddOnRanker Ranker { get; }
    public DateTimeOffset Now { get; }
    public Basket[] Carts { get; }

    public int Rank(int i) => Ranker.Rank(Carts[i % Carts.Length], Inputs, Now).AddOns.Count;

    internal static string DataFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "data", "online-retail-dec2010.csv");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("data/online-retail-dec2010.csv not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Times each stage of a call separately (candidates, features, trees with calibration and order, rules) over the
    /// same carts and prints each stage's median and p99 in microseconds: where the time of <see cref="Latency"/> goes.
    /// </summary>
    public static int Stages(string? ordersPath = null, bool withCatalog = false, int calls = 20_000)
    {
        var bench = new LearnedRankerBench(ordersPath, withCatalog);
        var ranker = bench.Ranker;
        Console.WriteLine(bench.Describe());
        // "similar" is the similar-baskets index's part of the candidates stage, timed on its own before each call.
        var stages = new[] { "candidates", "features", "trees", "rules", "similar" };
        var ticks = stages.Select(_ => new long[calls]).ToArray();
        var allocated = new long[stages.Length];
        // The candidates as the ranker makes them: from its per-thread pool, reused from call to call.
        var pool = new CandidateGenerator.EvidencePool();
        var warmup = Stopwatch.StartNew();
        for (var i = 0; warmup.Elapsed < TimeSpan.FromSeconds(3) || i < 2 * calls; i++)
        {
            var basket = bench.Carts[i % bench.Carts.Length];
            var cartSkus = bench.CartSkus[i % bench.Carts.Length];
            var s0 = Stopwatch.GetTimestamp();
            var sb0 = GC.GetAllocatedBytesForCurrentThread();
            bench.Inputs.SimilarBaskets!.Score(cartSkus).Dispose();
            var s1 = Stopwatch.GetTimestamp();
            var sb1 = GC.GetAllocatedBytesForCurrentThread();
            var b0 = GC.GetAllocatedBytesForCurrentThread();
            var t0 = Stopwatch.GetTimestamp();
            var set = ranker.Candidates.Generate(basket, bench.Inputs, bench.Now, pool);
            var t1 = Stopwatch.GetTimestamp();
            var b1 = GC.GetAllocatedBytesForCurrentThread();
            var features = RankingFeatures.Extract(set, bench.Inputs.Catalog);
            var t2 = Stopwatch.GetTimestamp();
            var b2 = GC.GetAllocatedBytesForCurrentThread();
            var scored = ranker.Score(set, features);
            var t3 = Stopwatch.GetTimestamp();
            var b3 = GC.GetAllocatedBytesForCurrentThread();
            ranker.Select(basket, bench.Inputs, set, scored, ranker.Model.ShowThreshold, null, bench.Now);
            var t4 = Stopwatch.GetTimestamp();
            var b4 = GC.GetAllocatedBytesForCurrentThread();
            if (i < calls) continue;
            var at = i - calls;
            if (at >= calls) break;
            ticks[0][at] = t1 - t0;
            ticks[1][at] = t2 - t1;
            ticks[2][at] = t3 - t2;
            ticks[3][at] = t4 - t3;
            ticks[4][at] = s1 - s0;
            allocated[4] += sb1 - sb0;
            allocated[0] += b1 - b0;
            allocated[1] += b2 - b1;
            allocated[2] += b3 - b2;
            allocated[3] += b4 - b3;
        }
        for (var s = 0; s < stages.Length; s++)
        {
            Array.Sort(ticks[s]);
            double Us(double q) => ticks[s][(int)Math.Min(calls - 1, q * calls)] * 1e6 / Stopwatch.Frequency;
            // The features stage here allocates its rows per call; the ranker rents them (LearnedAddOnRanker).
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{stages[s],-10} p50 {Us(0.5),7:0.0} µs, p99 {Us(0.99),7:0.0} µs, {allocated[s] / 1024.0 / calls,6:0.0} KB allocated per call"));
        }
        return 0;
    }

    /// <summary>
    /// Candidate generation as served (each source's top by selection) against its reference (every scored candidate
    /// ranked by full sorts, <see cref="CandidateGenerator.ExhaustiveRanks"/>), the two alternating call by call on the
    /// same carts so that both see the same machine; prints each one's median and p99 in microseconds.
    /// </summary>
    public static int CandidatesAb(string? ordersPath = null, bool withCatalog = false, int calls = 20_000)
    {
        var bench = new LearnedRankerBench(ordersPath, withCatalog);
        Console.WriteLine(bench.Describe());
        var generators = new[] { bench.Ranker.Candidates, new CandidateGenerator(bench.Ranker.Candidates.Options) { ExhaustiveRanks = true } };
        var ticks = new[] { new long[calls], new long[calls] };
        for (var i = 0; i < 2 * calls; i++)
            foreach (var g in generators) g.Generate(bench.Carts[i % bench.Carts.Length], bench.Inputs, bench.Now);
        for (var i = 0; i < calls; i++)
        {
            for (var k = 0; k < 2; k++)
            {
                var which = (i + k) % 2;
                var t0 = Stopwatch.GetTimestamp();
                generators[which].Generate(bench.Carts[i % bench.Carts.Length], bench.Inputs, bench.Now);
                ticks[which][i] = Stopwatch.GetTimestamp() - t0;
            }
        }
        foreach (var t in ticks) Array.Sort(t);
        double Us(int which, double q) => ticks[which][(int)Math.Min(calls - 1, q * calls)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"candidates, selection: p50 {Us(0, 0.5):0.0} µs, p99 {Us(0, 0.99):0.0} µs; full sorts (reference): p50 {Us(1, 0.5):0.0} µs, p99 {Us(1, 0.99):0.0} µs"));
        return 0;
    }

    /// <summary>
    /// The serving ranker's candidate generation with its pooled candidates (reused from call to call) against new
    /// ones, calls interleaved in one process so both meet the same minute of a noisy machine; each call's candidates
    /// get their feature rows, as in a ranking. Prints each side's median, p99 and allocation per call.
    /// </summary>
    public static int PoolAb(string? ordersPath = null, bool withCatalog = false, int calls = 20_000)
    {
        var bench = new LearnedRankerBench(ordersPath, withCatalog);
        Console.WriteLine(bench.Describe());
        var generator = bench.Ranker.Candidates;
        var pool = new CandidateGenerator.EvidencePool();
        var rows = new float[1024 * RankingFeatures.Count];
        var ticks = new[] { new long[calls], new long[calls] };
        var bytes = new long[2];
        void Call(int which, int i)
        {
            var cart = bench.Carts[i % bench.Carts.Length];
            var set = which == 0 ? generator.Generate(cart, bench.Inputs, bench.Now, pool) : generator.Generate(cart, bench.Inputs, bench.Now);
            if (rows.Length < set.Candidates.Count * RankingFeatures.Count) rows = new float[set.Candidates.Count * RankingFeatures.Count];
            RankingFeatures.Extract(set, bench.Catalog, rows);
        }
        for (var i = 0; i < 2 * calls; i++) Call(i % 2, i / 2);
        for (var i = 0; i < calls; i++)
        {
            for (var k = 0; k < 2; k++)
            {
                var which = (i + k) % 2;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var t0 = Stopwatch.GetTimestamp();
                Call(which, i);
                ticks[which][i] = Stopwatch.GetTimestamp() - t0;
                bytes[which] += GC.GetAllocatedBytesForCurrentThread() - allocated;
            }
        }
        foreach (var t in ticks) Array.Sort(t);
        double Us(int which, double q) => ticks[which][(int)Math.Min(calls - 1, q * calls)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"candidates and features, pooled: p50 {Us(0, 0.5):0.0} µs, p99 {Us(0, 0.99):0.0} µs, {bytes[0] / 1024.0 / calls:0.0} KB per call; new objects: p50 {Us(1, 0.5):0.0} µs, p99 {Us(1, 0.99):0.0} µs, {bytes[1] / 1024.0 / calls:0.0} KB per call"));
        return 0;
    }

    /// <summary>Times single calls after a warm-up and prints the median, p99 and p99.9 in microseconds.</summary>
    public static int Latency(string? ordersPath = null, bool withCatalog = false, int calls = 50_000)
    {
        var bench = new LearnedRankerBench(ordersPath, withCatalog);
        Console.WriteLine(bench.Describe());
        var shown = 0;
        var warmup = Stopwatch.StartNew();
        var n = 0;
        while (warmup.Elapsed < TimeSpan.FromSeconds(3)) shown += bench.Rank(n++);
        shown = 0;
        var ticks = new long[calls];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            shown += bench.Rank(i);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
        Array.Sort(ticks);
        double Us(double q) => ticks[(int)Math.Min(ticks.Length - 1, q * ticks.Length)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"learned ranker, ten-item carts ({bench.Carts.Length} distinct), {calls} calls: p50 {Us(0.5):0.0} µs, p99 {Us(0.99):0.0} µs, p99.9 {Us(0.999):0.0} µs, {(double)shown / calls:0.00} add-ons per call, {perCall / 1024:0.0} KB allocated per call"));
        return 0;
    }
}

[MemoryDiagnoser]
[MedianColumn, MinColumn, MaxColumn]
public class LearnedRankerBenchmarks
{
    private LearnedRankerBench _bench = null!;
    private int _next;

    [GlobalSetup]
    public void Setup() => _bench = new LearnedRankerBench();

    [Benchmark(Description = "Learned ranker: ten-item Online Retail cart (candidates, features, trees, rules)")]
    public int RankTenItemCart() => _bench.Rank(_next++);
}
