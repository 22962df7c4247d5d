using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>
/// The catalog items the features read are remembered per thread (<see cref="CatalogMemo"/>) only while the catalog's
/// change count stays: a product changed in the catalog is read anew at the next ranking.
/// </summary>
public class CatalogMemoTests
{
    private static readonly int PriceShare = RankingFeatures.Names.ToList().IndexOf("price_share");
    private static readonly int SameLeaf = RankingFeatures.Names.ToList().IndexOf("same_leaf_cart_items");

    private static (CandidateSet Set, Store Store) Ranked()
    {
        var store = new Store().Item("tent", "tents", 200).Item("lamp", "lights", 50).Item("pegs", "pegs", 10)
            .Orders(3, "tent", "lamp", "pegs");
        // Compact rows keep one string per sku, as the streaming recommender's rows do: the memo's case.
        var inputs = new RankingInputs(store.Learner.Compact(), store.Catalog, store.Learner.Clock, RankingInputs.BestSellersOf(store.Learner.Items()));
        return (new CandidateGenerator().Generate(store.Cart("tent"), inputs, Store.Now), store);
    }

    private static float[] Row(CandidateSet set, ICatalog catalog, string sku)
    {
        var features = RankingFeatures.Extract(set, catalog);
        var at = set.Candidates.ToList().FindIndex(c => c.Sku == sku);
        return features.AsSpan(at * RankingFeatures.Count, RankingFeatures.Count).ToArray();
    }

    [Fact]
    public void A_product_changed_in_the_catalog_is_read_anew_at_the_next_ranking()
    {
        var (set, store) = Ranked();
        var catalog = store.Catalog;
        var lamp = Row(set, catalog, "lamp");
        Assert.Equal(0.25f, lamp[PriceShare]);
        Assert.Equal(0f, lamp[SameLeaf]);
        Assert.Equal(lamp, Row(set, catalog, "lamp"));

        // Cheaper, and moved into the tent's leaf: both show at once.
        catalog.Upsert(catalog.Find("lamp")! with { Price = 20m, CategoryPath = ["shop", "tents"] });
        var changed = Row(set, catalog, "lamp");
        Assert.Equal(0.1f, changed[PriceShare]);
        Assert.Equal(1f, changed[SameLeaf]);
    }

    [Fact]
    public void A_catalog_that_counts_its_changes_is_asked_once_per_sku_until_it_changes_and_one_that_does_not_every_time()
    {
        var (set, store) = Ranked();
        var counting = new CountingCatalog(store.Catalog);
        Row(set, counting, "lamp");
        var first = counting.Finds;
        Assert.True(first >= set.Candidates.Count);
        Row(set, counting, "lamp");
        Assert.Equal(first, counting.Finds);
        counting.Changes++;
        Row(set, counting, "lamp");
        Assert.Equal(2 * first, counting.Finds);

        var plain = new PlainCatalog(store.Catalog);
        Row(set, plain, "lamp");
        Row(set, plain, "lamp");
        Assert.Equal(2 * set.Candidates.Count, plain.Finds);
    }

    private sealed class CountingCatalog(ICatalog inner) : IChangingCatalog
    {
        public int Finds;
        public long Changes { get; set; }

        public CatalogItem? Find(string sku)
        {
            Finds++;
            return inner.Find(sku);
        }

        public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) => inner.InCategory(leafCategory);
    }

    private sealed class PlainCatalog(ICatalog inner) : ICatalog
    {
        public int Finds;

        public CatalogItem? Find(string sku)
        {
            Finds++;
            return inner.Find(sku);
        }

        public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) => inner.InCategory(leafCategory);
    }
}
