using BenchmarkDotNet.Attributes;
using CartCrossSell.Engine;

namespace CartCrossSell.Benchmarks;

/// <summary>Scoring one five-item cart against 200 neighbours per item, on one core.</summary>
[MemoryDiagnoser]
[MedianColumn, MinColumn, MaxColumn]
public class RankerBenchmarks
{
    private SyntheticShop _shop = null!;
    private Basket[] _carts = null!;
    private AddOnRanker _ranker = null!;
    private int _next;

    [Params(100_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _shop = SyntheticShop.Create(Items, neighbors: 200);
        _carts = Enumerable.Range(0, 256).Select(i => _shop.Cart(5, i)).ToArray();
        _ranker = new AddOnRanker(new RecommendationOptions(), _shop.Clock);
    }

    [Benchmark(Description = "Rank five-item cart, 200 neighbours per item (compact store)")]
    public int RankFiveItemCart()
    {
        var cart = _carts[_next++ & 255];
        return _ranker.Rank(cart, _shop.Catalog, _shop.Evidence, SyntheticShop.Now).AddOns.Count;
    }
}
