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
/// times that table's own per-record path (decode and validate the order, check its key, add its basket to the index),
/// which is the global store's work beside the fetches, over copies of an orders file under new order ids.
/// </summary>
public static class RecentBasketsBench
{
    public static int Replay(string? ordersPath, int copies = 5, int repeats = 5)
    {
        var path = ordersPath ?? LearnedRankerBench.DataFile();
        var orders = OrderFiles.Read(path).Orders.OrderBy(o => o.Timestamp).ToList();
        var records = new List<(string Key, byte[] Value)>(orders.Count * copies);
        for (var copy = 0; copy < copies; copy++)
            foreach (var order in orders)
            {
                var id = copy == 0 ? order.OrderId : $"{order.OrderId}-copy{copy}";
                records.Add((id, ContractCodecs.OrderCompleted.Encode(order.ToOrderCompleted() with { OrderId = id })));
            }
        var bytes = records.Sum(r => (long)r.Value.Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{records.Count:N0} order records ({copies} copies of {path}), {bytes / 1024.0 / 1024.0:0.0} MiB, {bytes / records.Count:N0} B each; index capacity {new SimilarBasketsOptions().Capacity:N0}"));
        var rates = new List<double>();
        for (var run = 1; run <= repeats; run++)
        {
            var table = new RecentBasketsTable(new SimilarBasketsOptions(), NullLoggerFactory.Instance);
            var clock = Stopwatch.StartNew();
            foreach (var (key, value) in records) table.Table.Apply(key, value);
            clock.Stop();
            var rate = records.Count / clock.Elapsed.TotalSeconds;
            rates.Add(rate);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: {clock.Elapsed.TotalSeconds:0.00} s, {rate:N0} orders/s, {table.Baskets.Count:N0} baskets held, {table.Rejected} rejected"));
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median {rates[rates.Count / 2]:N0} orders/s: a recommender's start spends about {1_000_000 / rates[rates.Count / 2]:0.0} s per million retained orders on this path, besides fetching them"));
        return 0;
    }
}
