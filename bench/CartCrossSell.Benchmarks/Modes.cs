using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Engine;

namespace CartCrossSell.Benchmarks;

/// <summary>Measurements BenchmarkDotNet does not make: per-call latency percentiles, and resident memory.</summary>
public static class Modes
{
    private static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Times single Rank calls (after a warm-up) and prints the median, p99 and p99.9 in microseconds.</summary>
    public static int Latency(int calls = 100_000)
    {
        var shop = SyntheticShop.Create(100_000, neighbors: 200);
        var carts = Enumerable.Range(0, 1024).Select(i => shop.Cart(5, i)).ToArray();
        var ranker = new AddOnRanker(new RecommendationOptions(), shop.Clock);
        var shown = 0;
        // Warm up for three seconds so the JIT has tiered up (dynamic PGO included) before anything is timed.
        var warmup = Stopwatch.StartNew();
        var warmCalls = 0;
        while (warmup.Elapsed < TimeSpan.FromSeconds(3))
            shown += ranker.Rank(carts[warmCalls++ & 1023], shop.Catalog, shop.Evidence, SyntheticShop.Now).AddOns.Count;
        var gcs = GC.CollectionCount(0);
        var ticks = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            shown += ranker.Rank(carts[i & 1023], shop.Catalog, shop.Evidence, SyntheticShop.Now).AddOns.Count;
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(ticks);
        double Us(double q) => ticks[(int)Math.Min(calls - 1, q * calls)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"rank five-item cart, 200 neighbours per item, 100,000 items, {calls:N0} calls on one thread:");
        Console.WriteLine($"  median {F(Us(0.5))} us, p90 {F(Us(0.9))} us, p99 {F(Us(0.99))} us, p99.9 {F(Us(0.999))} us, max {F(Us(1.0 - 1e-9))} us (add-ons shown: {shown / (double)(calls + warmCalls):0.00} per cart; {GC.CollectionCount(0) - gcs} gen0 collections)");
        return 0;
    }

    /// <summary>Builds a catalog of 1,000,000 skus with 100 neighbours each and prints the resident memory.</summary>
    public static int Memory(int items = 1_000_000, int neighbors = 100)
    {
        var watch = Stopwatch.StartNew();
        var shop = SyntheticShop.Create(items, neighbors);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var ranker = new AddOnRanker(new RecommendationOptions(), shop.Clock);
        var shown = Enumerable.Range(0, 1000).Sum(i => ranker.Rank(shop.Cart(5, i), shop.Catalog, shop.Evidence, SyntheticShop.Now).AddOns.Count);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        const double Mb = 1024 * 1024;
        Console.WriteLine($"{items:N0} skus in the catalog, {shop.Evidence.RowCount:N0} item rows with {shop.Evidence.NeighborCount:N0} neighbours, built in {watch.Elapsed.TotalSeconds:0.0} s:");
        Console.WriteLine($"  resident {F(process.WorkingSet64 / Mb)} MiB (peak {F(process.PeakWorkingSet64 / Mb)} MiB), managed heap {F(GC.GetTotalMemory(false) / Mb)} MiB; 1,000 carts ranked, {shown / 1000.0:0.00} add-ons each");
        GC.KeepAlive(shop);
        return process.WorkingSet64 < 1.5 * 1024 * Mb ? 0 : 1;
    }

    /// <summary>
    /// The same 1,000,000 rows of 100 neighbours as the streaming recommender holds them (<see cref="LiveEvidence"/>,
    /// behind the replicated <c>item-neighbors</c> table): resident memory before and after they are copied in, and
    /// 1,000 carts ranked against them.
    /// </summary>
    public static int LiveMemory(int items = 1_000_000, int neighbors = 100)
    {
        var shop = SyntheticShop.Create(items, neighbors);
        const double Mb = 1024 * 1024;
        double Resident()
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            return process.WorkingSet64 / Mb;
        }
        var before = Resident();
        var watch = Stopwatch.StartNew();
        var live = new LiveEvidence();
        foreach (var sku in shop.Skus)
            if (shop.Evidence.Find(RowKeys.Item(sku)) is { } row) live.Apply(row);
        live.SetBaskets(shop.Evidence.Baskets);
        var copied = watch.Elapsed;
        var after = Resident();
        var ranker = new AddOnRanker(new RecommendationOptions(), shop.Clock);
        var shown = Enumerable.Range(0, 1000).Sum(i => ranker.Rank(shop.Cart(5, i), shop.Catalog, live, SyntheticShop.Now).AddOns.Count);
        Console.WriteLine($"{live.RowCount:N0} rows with {shop.Evidence.NeighborCount:N0} neighbours copied into LiveEvidence in {copied.TotalSeconds:0.0} s:");
        Console.WriteLine($"  resident {F(before)} MiB before (catalog and compact rows), {F(after)} MiB after: {F(after - before)} MiB for the live rows, {F((after - before) * Mb / shop.Evidence.NeighborCount)} bytes per neighbour; 1,000 carts ranked, {shown / 1000.0:0.00} add-ons each");
        GC.KeepAlive(shop);
        GC.KeepAlive(live);
        return 0;
    }
}
