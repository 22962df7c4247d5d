using CartCrossSell.Engine;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// A deterministic synthetic shop: items in leaf categories with prices and margins, every item row with a fixed
/// number of neighbours whose pair weights fall off with rank, built straight into the compact serving store.
/// </summary>
public sealed class SyntheticShop
{
    public static readonly DateTimeOffset Now = new(2011, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private SyntheticShop(InMemoryCatalog catalog, CompactEvidence evidence, DecayClock clock, string[] skus)
    {
        Catalog = catalog;
        Evidence = evidence;
        Clock = clock;
        Skus = skus;
    }

    public InMemoryCatalog Catalog { get; }
    public CompactEvidence Evidence { get; }
    public DecayClock Clock { get; }
    public string[] Skus { get; }

    public static string Sku(int i) => "SKU" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    public static SyntheticShop Create(int items, int neighbors, int categories = 1000, int seed = 42)
    {
        var random = new Random(seed);
        var clock = new DecayClock(TimeSpan.FromDays(30));
        var unit = clock.WeightAt(Now);
        var paths = Enumerable.Range(0, categories).Select(c => (IReadOnlyList<string>)["shop", $"leaf{c:D4}"]).ToArray();
        var skus = new string[items];
        for (var i = 0; i < items; i++) skus[i] = Sku(i);

        var catalog = new InMemoryCatalog([]);
        for (var i = 0; i < items; i++)
            catalog.Upsert(new CatalogItem
            {
                Sku = skus[i],
                Title = skus[i],
                CategoryPath = paths[i % categories],
                Price = 2m + random.Next(0, 9_800) / 100m,
                MarginRate = random.Next(20, 70) / 100.0,
            });

        var builder = new CompactEvidence.Builder(items, checked(items * neighbors));
        var row = new Neighbor[neighbors];
        var taken = new HashSet<int>();
        for (var i = 0; i < items; i++)
        {
            // Popularity falls off with the item number; neighbours are near in number (a locality the real data has
            // too: items of one range sell together) plus random ones.
            var weight = unit * (20 + 2000.0 / (1 + i % 5000));
            taken.Clear();
            taken.Add(i);
            for (var k = 0; k < neighbors; k++)
            {
                int other;
                do other = k < neighbors / 2 ? (i + random.Next(-5000, 5000) + items) % items : random.Next(items);
                while (!taken.Add(other));
                row[k] = new Neighbor(RowKeys.Item(skus[other]), weight * 0.5 / (1 + k * 0.1));
            }
            builder.Add(RowKeys.Item(skus[i]), weight, row);
        }
        builder.SetBaskets(unit * items * 10.0);
        return new SyntheticShop(catalog, builder.Build(), clock, skus);
    }

    /// <summary>A cart of <paramref name="size"/> items that share neighbourhoods, as real carts do.</summary>
    public Basket Cart(int size, int seed)
    {
        var random = new Random(seed);
        var first = random.Next(Skus.Length);
        return new Basket(Enumerable.Range(0, size).Select(k => new BasketLine
        {
            Sku = Skus[(first + k * random.Next(1, 50)) % Skus.Length],
            UnitPrice = 40m,
        }));
    }
}
