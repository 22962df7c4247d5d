using BenchmarkDotNet.Attributes;
using CartCrossSell.Engine;

namespace CartCrossSell.Benchmarks;

/// <summary>Learning throughput: order lines per second into a fresh in-memory learner, on one core.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class LearnerBenchmarks
{
    public const int Orders = 20_000;
    private (string[] Skus, DateTimeOffset At)[] _orders = null!;
    private Dictionary<string, string> _leaf = null!;

    /// <summary>Mean distinct lines per order (sizes are uniform from 1 to twice this minus one).</summary>
    [Params(5, 20)]
    public int LinesPerOrder { get; set; }

    public int Lines { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var start = new DateTimeOffset(2011, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _leaf = [];
        _orders = new (string[], DateTimeOffset)[Orders];
        for (var o = 0; o < Orders; o++)
        {
            var size = random.Next(1, 2 * LinesPerOrder);
            var skus = new HashSet<string>();
            var anchor = random.Next(50_000);
            while (skus.Count < size) skus.Add(SyntheticShop.Sku((anchor + random.Next(0, 400)) % 50_000));
            _orders[o] = (skus.ToArray(), start.AddMinutes(o));
        }
        foreach (var sku in _orders.SelectMany(o => o.Skus).Distinct()) _leaf[sku] = "leaf" + (sku.GetHashCode() & 255);
        Lines = _orders.Sum(o => o.Skus.Length);
    }

    [Benchmark(Description = "Learn 20,000 orders (items only)")]
    public double LearnItems()
    {
        var learner = new BasketLearner();
        foreach (var (skus, at) in _orders) learner.AddOrder(skus, at);
        return learner.Baskets;
    }

    [Benchmark(Description = "Learn 20,000 orders (items and leaf categories)")]
    public double LearnItemsAndCategories()
    {
        var learner = new BasketLearner();
        Func<string, string?> leafOf = sku => _leaf.GetValueOrDefault(sku);
        foreach (var (skus, at) in _orders) learner.AddOrder(skus, at, leafOf);
        return learner.Baskets;
    }
}
