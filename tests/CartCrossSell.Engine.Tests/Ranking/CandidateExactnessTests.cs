using System.Globalization;
using System.Reflection;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>
/// The candidate generator marks each source's top by selection and ranks only the union's members; these tests hold
/// it to its reference (<see cref="CandidateGenerator.ExhaustiveRanks"/>: every source's scores in full sorts,
/// complementary categories aggregated by name): the same candidates in the same order with every value bit for bit, on
/// real orders and on a seeded shop whose integer counts make many equal scores (equal scores share a rank; at a
/// source's cut they go by row key), over the learner,
/// its compact store and the streaming recommender's live rows. The pair weights the generator records for
/// same-category evidence (features, learned substitutes) are held to a scan of the cart item's row, as they were read
/// before. The serving ranker's pooled candidates (reused from call to call) are held to the same values.
/// </summary>
public class CandidateExactnessTests
{
    private static readonly CandidateOptions Shallow = new()
    {
        BasketDepth = 7, LastItemsDepth = 4, SequenceDepth = 3, CategoryDepth = 2, PopularDepth = 3,
        ComplementCategories = 3, ItemsPerCategory = 4, SimilarBasketsDepth = 5,
    };

    public static TheoryData<string> Depths => ["default", "shallow"];

    [Theory]
    [MemberData(nameof(Depths))]
    public void December_extract_candidates_equal_the_reference(string depths)
    {
        var (orders, catalog) = December();
        var learner = new BasketLearner();
        var baskets = new SimilarBaskets();
        var at = new DateTimeOffset(2010, 12, 1, 8, 0, 0, TimeSpan.Zero);
        foreach (var (o, i) in orders.Select((o, i) => (o, i)))
        {
            learner.AddOrder(o, at = at.AddMinutes(3), sku => catalog.Find(sku)?.LeafCategory);
            baskets.Add($"order-{i}", o);
        }
        var carts = orders.Where(o => o.Length >= 2).Take(150).Select(o => o.Take(10).ToArray());
        var stats = Compare(learner, baskets, catalog, carts, at, depths == "shallow" ? Shallow : new CandidateOptions());
        Assert.True(stats.BelowTop > 0, "some union members must be scored below a source's top");
        Assert.True(stats.Ties > 0, "some candidates must tie on a source's score");
    }

    [Theory]
    [MemberData(nameof(Depths))]
    public void Seeded_shop_with_many_equal_scores_candidates_equal_the_reference(string depths)
    {
        var random = new Random(20261130);
        var store = new Store();
        var skus = Enumerable.Range(0, 240).Select(i => $"s{i:000}").ToArray();
        foreach (var (sku, i) in skus.Select((s, i) => (s, i))) store.Item(sku, $"c{i % 12}", 5 + i % 17);
        // Orders at one time with few distinct counts: equal weights, so equal scores, are common.
        for (var o = 0; o < 900; o++)
        {
            var size = random.Next(2, 7);
            var order = new List<string>();
            while (order.Count < size)
            {
                var sku = skus[(int)(skus.Length * Math.Pow(random.NextDouble(), 2))];
                if (!order.Contains(sku)) order.Add(sku);
            }
            store.Orders(1, [.. order]);
        }
        var carts = Enumerable.Range(0, 150).Select(_ => Enumerable.Range(0, random.Next(1, 11))
            .Select(_ => skus[random.Next(skus.Length)]).Distinct().ToArray());
        var stats = Compare(store.Learner, store.Baskets, store.Catalog, carts, Store.Now, depths == "shallow" ? Shallow : new CandidateOptions());
        Assert.True(stats.BelowTop > 0, "some union members must be scored below a source's top");
        Assert.True(stats.TiedAtCut > 0, "some union members below a source's top must tie with its last entry");
        // The similar baskets' scores tie often: the cut is decided by sku among equal scores.
        Assert.True(stats.SimilarTiedAtCut > 0, "some union members below the similar baskets' top must tie with its last entry");
        Assert.True(stats.Ties > 0, "some candidates must tie on a source's score");
    }

    private sealed record Stats(int BelowTop, int TiedAtCut, int Ties, int SimilarTiedAtCut);

    /// <summary>The sources that rank their top: score, flag and rank of a candidate.</summary>
    private static readonly (Func<CandidateEvidence, double> Score, CandidateSource Source, Func<CandidateEvidence, int> Rank)[] RankedSources =
    [
        (c => c.CosWeighted, CandidateSource.Basket, c => c.RankBasket),
        (c => c.LastItemsScore, CandidateSource.LastItems, c => c.RankLastItems),
        (c => c.SequenceScore, CandidateSource.Sequence, c => c.RankSequence),
        (c => c.CategoryScore, CandidateSource.Category, c => c.RankCategory),
        (c => c.SimilarScore, CandidateSource.SimilarBaskets, c => c.RankSimilar),
    ];

    /// <summary>Both generators on every cart, over the learner itself and its compact store; asserts equality.</summary>
    private static Stats Compare(BasketLearner learner, SimilarBaskets baskets, ICatalog catalog, IEnumerable<string[]> carts, DateTimeOffset now, CandidateOptions options)
    {
        var fast = new CandidateGenerator(options);
        var reference = new CandidateGenerator(options) { ExhaustiveRanks = true };
        var belowTop = 0;
        var tiedAtCut = 0;
        var ties = 0;
        var pairsRecorded = 0;
        var boughtOutside = 0;
        var similarTiedAtCut = 0;
        var pool = Dirty(new CandidateGenerator.EvidencePool(), count: 512);
        var reused = 0;
        var compact = learner.Compact();
        // The streaming recommender's rows (the replicated item-neighbors table), read by number like the compact store.
        var live = learner.Live();
        foreach (IBasketEvidence evidence in new IBasketEvidence[] { learner, compact, live })
        {
            var categorySources = 0;
            var inputs = new RankingInputs(evidence, catalog, learner.Clock, RankingInputs.BestSellersOf(learner.Items())) { SimilarBaskets = baskets };
            foreach (var skus in carts)
            {
                var basket = new Basket(skus.Select(s => new BasketLine { Sku = s, UnitPrice = 1m }));
                var expected = reference.Generate(basket, inputs, now);
                var actual = fast.Generate(basket, inputs, now);
                Assert.Equal(expected.Candidates.Select(Describe), actual.Candidates.Select(Describe));
                // The serving ranker's path: candidate objects reused from the earlier carts' calls, every value written anew.
                var pooled = fast.Generate(basket, inputs, now, pool);
                Assert.Equal(expected.Candidates.Select(Describe), pooled.Candidates.Select(Describe));
                AssertPairWeightsAreTheRows(pooled, evidence, catalog);
                reused += pooled.Candidates.Count;
                categorySources += actual.Candidates.Count(c => c.CategoryScore > 0);
                var (bought, outside) = AssertPairWeightsAreTheRows(actual, evidence, catalog);
                pairsRecorded += bought;
                boughtOutside += outside;
                // Find searches the candidates by sku: each finds itself, a cart item (never a candidate) nothing.
                foreach (var c in actual.Candidates) Assert.Same(c, actual.Find(c.Sku));
                foreach (var sku in skus) Assert.Null(actual.Find(sku));
                // Members a source scores below its top (there through another source) have no rank in it, and some of
                // them tie with the top's last entry (equal scores at the cut go by row key).
                foreach (var (score, source, rank) in RankedSources)
                {
                    var below = actual.Candidates.Where(c => (c.Sources & source) == 0 && score(c) > 0).ToList();
                    Assert.All(below, c => Assert.Equal(0, rank(c)));
                    Assert.All(actual.Candidates.Where(c => (c.Sources & source) != 0), c => Assert.True(rank(c) > 0));
                    belowTop += below.Count;
                    if (actual.Candidates.Where(c => (c.Sources & source) != 0).Select(score).DefaultIfEmpty().Min() is > 0 and var cut)
                    {
                        tiedAtCut += below.Count(c => score(c) == cut);
                        if (source == CandidateSource.SimilarBaskets) similarTiedAtCut += below.Count(c => score(c) == cut);
                    }
                }
                ties += actual.Candidates.Where(c => c.CosWeighted > 0).GroupBy(c => c.CosWeighted).Count(g => g.Count() > 1)
                        + actual.Candidates.Where(c => c.SequenceScore > 0).GroupBy(c => c.SequenceScore).Count(g => g.Count() > 1);
            }
            Assert.True(categorySources > 0, $"the category source must offer candidates over {evidence.GetType().Name}");
        }
        Assert.True(reused > 0, "the pooled generation must have candidates");
        Assert.True(pairsRecorded > 0, "some same-category pairs must be bought together");
        Assert.True(boughtOutside > 0, "some skus outside the candidates must be bought together with a cart item (the row read on demand)");
        return new Stats(belowTop, tiedAtCut, ties, similarTiedAtCut);
    }

    /// <summary>
    /// Every (cart item with a leaf, candidate) pair weight the set recorded is the one a scan of the cart item's row
    /// finds, bit for bit, and so are the lift feature and the learned substitutes' verdict built on it (against the
    /// row-scanning code they replaced), for the candidates and for items outside them (the cart item's own neighbours
    /// of its leaf that are not candidates, and other items of the leaf). Returns the recorded pairs with a weight and
    /// the skus outside the candidates found bought together.
    /// </summary>
    private static (int Bought, int BoughtOutside) AssertPairWeightsAreTheRows(CandidateSet set, IBasketEvidence evidence, ICatalog catalog)
    {
        var options = new RecommendationOptions();
        var substitutes = new LearnedSubstitutes(set, evidence, options);
        var bought = 0;
        var boughtOutside = 0;
        foreach (var a in set.Cart)
        {
            var row = string.IsNullOrEmpty(a.LeafCategory) ? null : evidence.Find(RowKeys.Item(a.Sku));
            foreach (var c in set.Candidates)
            {
                var expected = row is { Weight: > 0 } ? RankingFeatures.PairWeight(row, c.Sku) : 0;
                if (set.TryPairWeight(a, c, out var pair, out var rowWeight))
                {
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(pair));
                    Assert.Equal(row!.Weight, rowWeight);
                    if (pair > 0) bought++;
                }
                else Assert.True(row is not { Weight: > 0 }, $"{a.Sku} has a row, so its pair with {c.Sku} must be recorded");
                var lift = row is not { Weight: > 0 } || c.Weight <= 0 || set.Baskets <= 0 ? 0 : expected * set.Baskets / (row.Weight * c.Weight);
                Assert.Equal(BitConverter.DoubleToInt64Bits(lift), BitConverter.DoubleToInt64Bits(RankingFeatures.PairLift(set, a, c)));
            }
            if (row is null) continue;
            // The substitutes' evidence for the candidates and for skus of the leaf outside them.
            var outside = row.Neighbors.Where(n => RowKeys.IsItem(n.Key)).Select(n => RowKeys.SkuOf(n.Key))
                .Concat(catalog.InCategory(a.LeafCategory!).Select(i => i.Sku).Take(5))
                .Where(s => set.Find(s) is null && s != a.Sku && catalog.Find(s)?.LeafCategory == a.LeafCategory).Distinct().ToList();
            foreach (var sku in set.Candidates.Select(c => c.Sku).Concat(outside))
            {
                var together = substitutes.BoughtTogether(a, sku);
                Assert.Equal(BoughtTogetherByRowScan(set, evidence, options, row, sku), together);
                if (together && outside.Contains(sku)) boughtOutside++;
            }
        }
        return (bought, boughtOutside);
    }

    /// <summary>LearnedSubstitutes.BoughtTogether as it was: the pair weight found by scanning the cart item's row.</summary>
    private static bool BoughtTogetherByRowScan(CandidateSet set, IBasketEvidence evidence, RecommendationOptions options, EvidenceRow row, string sku)
    {
        if (row.Weight <= 0 || !evidence.TryGetWeight(RowKeys.Item(sku), out var wc) || wc <= 0 || set.Baskets <= 0) return false;
        var pair = RankingFeatures.PairWeight(row, sku);
        if (pair <= 0) return false;
        var lift = pair * set.Baskets / (row.Weight * wc);
        return pair / set.NowWeight >= options.ComplementMinBaskets && lift >= options.ComplementMinLift;
    }

    /// <summary>
    /// A pool whose first <paramref name="count"/> candidates hold a value in every field, as if an earlier call had
    /// left them there: a field the generator does not write anew shows in the comparison with fresh candidates.
    /// </summary>
    private static CandidateGenerator.EvidencePool Dirty(CandidateGenerator.EvidencePool pool, int count)
    {
        var other = new CandidateGenerator(new CandidateOptions()).Generate(new Basket([new BasketLine { Sku = "x", UnitPrice = 1m }]),
            new RankingInputs(new BasketLearner(), null, new BasketLearner().Clock, []), DateTimeOffset.UnixEpoch);
        for (var i = 0; i < count; i++)
        {
            var c = pool.At(i);
            foreach (var f in typeof(CandidateEvidence).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
                f.SetValue(c, f.FieldType switch
                {
                    var t when t == typeof(double) => 1234.5 + i,
                    var t when t == typeof(int) => 77 + i,
                    var t when t == typeof(CandidateSource) => (CandidateSource)63,
                    var t when t == typeof(string) => "stale",
                    var t when t == typeof(CandidateSet) => other,
                    var t => throw new InvalidOperationException($"no stale value for {f.Name} ({t.Name})"),
                });
        }
        return pool;
    }

    /// <summary>Every value of a candidate, doubles to the bit.</summary>
    private static string Describe(CandidateEvidence c) => c.Sku + " " + string.Join(" ",
        typeof(CandidateEvidence).GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => f.Name).Select(f => f.GetValue(c) switch
        {
            double d => $"{f.Name}={BitConverter.DoubleToInt64Bits(d):x}",
            var v => $"{f.Name}={Convert.ToString(v, CultureInfo.InvariantCulture)}",
        }));

    /// <summary>The orders of data/online-retail-dec2010.csv (distinct stock codes in file order) and a catalog whose leaf category is a code's first two characters.</summary>
    private static (string[][] Orders, InMemoryCatalog Catalog) December()
    {
        string? path = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && path is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "data", "online-retail-dec2010.csv"))) path = Path.Combine(dir.FullName, "data", "online-retail-dec2010.csv");
        Assert.NotNull(path);
        var orders = new List<List<string>>();
        string? invoice = null;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(',', 3);
            if (fields.Length < 3 || fields[0].StartsWith('C')) continue;
            if (fields[0] != invoice) orders.Add([]);
            invoice = fields[0];
            if (!orders[^1].Contains(fields[1])) orders[^1].Add(fields[1]);
        }
        var catalog = new InMemoryCatalog(orders.SelectMany(o => o).Distinct().Select(sku => new CatalogItem
        {
            Sku = sku, Title = sku, CategoryPath = ["shop", sku[..Math.Min(2, sku.Length)]], Price = 1m,
        }));
        return ([.. orders.Select(o => o.ToArray())], catalog);
    }
}
