using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.OrderHistory;
using CartCrossSell.Ranking.Training;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// The learned ranker on real data: a model trained on the December 2010 Online Retail extract (data/), evidence of
/// its orders, and ten-item carts cut from its invoices. One call = candidates from every source, 33 features per
/// candidate, the trees, calibration and the cart rules.
/// </summary>
public sealed class LearnedRankerBench
{
    public LearnedRankerBench()
    {
        var orders = OrderFiles.Read(DataFile()).Orders
            .Select(o => new EvalOrder(o.OrderId, o.Timestamp, o.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList()))
            .OrderBy(o => o.Timestamp).ToList();
        var (model, _) = RankerTrainer.Train(orders, null);
        var learner = new BasketLearner();
        foreach (var o in orders) learner.AddOrder(OfflineEvaluation.DistinctSkus(o), o.Timestamp);
        Inputs = new RankingInputs(learner.Compact(), null, learner.Clock, RankingInputs.BestSellersOf(learner.Items()));
        Ranker = new LearnedAddOnRanker(model, new RecommendationOptions { AllowUnknownItems = true });
        Now = orders[^1].Timestamp;
        Carts = orders.Where(o => o.Lines.Count >= 10)
            .Select(o => new Basket(o.Lines.Take(10).Select(l => new BasketLine { Sku = l.Sku, Quantity = l.Quantity, UnitPrice = l.UnitPrice })))
            .Take(1024).ToArray();
    }

    public RankingInputs Inputs { get; }
    public LearnedAddOnRanker Ranker { get; }
    public DateTimeOffset Now { get; }
    public Basket[] Carts { get; }

    public int Rank(int i) => Ranker.Rank(Carts[i % Carts.Length], Inputs, Now).AddOns.Count;

    private static string DataFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "data", "online-retail-dec2010.csv");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("data/online-retail-dec2010.csv not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Times single calls after a warm-up and prints the median, p99 and p99.9 in microseconds.</summary>
    public static int Latency(int calls = 50_000)
    {
        var bench = new LearnedRankerBench();
        var shown = 0;
        var warmup = Stopwatch.StartNew();
        var n = 0;
        while (warmup.Elapsed < TimeSpan.FromSeconds(3)) shown += bench.Rank(n++);
        shown = 0;
        var ticks = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            shown += bench.Rank(i);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(ticks);
        double Us(double q) => ticks[(int)Math.Min(ticks.Length - 1, q * ticks.Length)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"learned ranker, ten-item carts ({bench.Carts.Length} distinct), {calls} calls: p50 {Us(0.5):0.0} µs, p99 {Us(0.99):0.0} µs, p99.9 {Us(0.999):0.0} µs, {(double)shown / calls:0.00} add-ons per call"));
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
