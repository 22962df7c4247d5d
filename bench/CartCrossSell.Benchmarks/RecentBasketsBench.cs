using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// <c>recent-baskets</c>: what a recommender's start costs for the similar-baskets index. Every recommender reads all of
/// <c>order-events</c> (as far as the topic retains it) into <see cref="RecentBasketsTable"/> before its tasks run; this
/// times that table's own per-record path over copies of an orders file under new order ids (each copy a year later),
/// in the order Streamiz's bootstrap reads them: four partitions by key, one after the other. Two paths, alternated:
/// every record decoded and applied (the start until 2026-12-02), and the start since: every record offered to the
/// newest-records selection, then only the kept ones decoded and applied, oldest first. The global thread's fetches
/// come on top of either.
/// </summary>
public static class RecentBasketsBench
{
    private const int Partitions = 4;

    public static int Replay(string? ordersPath, int copies = 5, int repeats = 5, string[]? args = null)
    {
        var path = ordersPath ?? LearnedRankerBench.DataFile();
        if (args?.SkipWhile(a => a != "--copies").Skip(1).FirstOrDefault() is { } given) copies = int.Parse(given, CultureInfo.InvariantCulture);
        var orders = OrderFiles.Read(path).Orders.OrderBy(o => o.Timestamp).ToList();
        var records = new List<(string Key, byte[] Value, long Timestamp)>(orders.Count * copies);
        for (var copy = 0; copy < copies; copy++)
            foreach (var order in orders)
            {
                var id = copy == 0 ? order.OrderId : $"{order.OrderId}-copy{copy}";
                var at = order.Timestamp.AddYears(copy);
                records.Add((id, ContractCodecs.OrderCompleted.Encode(order.ToOrderCompleted() with { OrderId = id, Timestamp = at }), at.ToUnixTimeMilliseconds()));
            }
        // Partition by partition, each in time order: how the bootstrap reads the topic.
        records = records.OrderBy(r => (uint)StringComparer.Ordinal.GetHashCode(r.Key) % Partitions).ThenBy(r => r.Timestamp).ToList();
        var bytes = records.Sum(r => (long)r.Value.Length);
        var capacity = new SimilarBasketsOptions().Capacity;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{records.Count:N0} order records ({copies} copies of {path}, read as {Partitions} partitions one after the other), {bytes / 1024.0 / 1024.0:0.0} MiB, {bytes / records.Count:N0} B each; index capacity {capacity:N0}"));
        // The newest baskets by time: orders of two distinct skus or more (the index holds nothing of a smaller one).
        var baskets = new HashSet<string>(orders.Where(o => o.Lines.Select(l => l.Sku).Distinct().Count() >= 2).Select(o => o.OrderId));
        var newestHeld = records.Where(r => baskets.Contains(r.Key.Split("-copy")[0])).OrderBy(r => r.Timestamp).Select(r => r.Key).TakeLast(capacity).ToHashSet();
        var rates = new Dictionary<string, List<double>> { ["every record"] = [], ["the newest"] = [] };
        for (var run = 1; run <= repeats; run++)
            foreach (var path_ in new[] { "every record", "the newest" })
            {
                GC.Collect();
                var table = new RecentBasketsTable(new SimilarBasketsOptions(), NullLoggerFactory.Instance);
                var clock = Stopwatch.StartNew();
                long applied = 0;
                if (path_ == "every record")
                {
                    foreach (var (key, value, _) in records) table.Table.Apply(key, value);
                    applied = records.Count;
                }
                else
                {
                    // What ReplicatedTable does with bootstrapNewest: offer every record, then apply the kept ones oldest first.
                    var newest = new CartCrossSell.Streams.Processing.NewestRecords<(string, byte[])>(table.BootstrapRecords);
                    foreach (var (key, value, timestamp) in records) newest.Offer((key, value), timestamp);
                    foreach (var (key, value) in newest.TakeOldestFirst())
                    {
                        table.Table.Apply(key, value);
                        applied++;
                    }
                }
                clock.Stop();
                var rate = records.Count / clock.Elapsed.TotalSeconds;
                rates[path_].Add(rate);
                // How many of the newest baskets by time the index holds (with the held ones checked by id).
                var newestKept = newestHeld.Count(table.Baskets.Holds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run}, {path_,-12}: {clock.Elapsed.TotalSeconds:0.00} s, {rate:N0} records/s, {applied:N0} decoded, {table.Baskets.Count:N0} baskets held, {newestKept:N0} of the newest {newestHeld.Count:N0} among them, {table.Rejected} rejected"));
            }
        foreach (var (name, list) in rates)
        {
            list.Sort();
            var median = list[list.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: median {records.Count / median:0.00} s for the {records.Count:N0} records ({median:N0} records/s) on this path, besides fetching them"));
        }
        return 0;
    }
}
