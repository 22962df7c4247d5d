using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

public class ScoringCascadeTests
{
    /// <summary>Random trees of up to eight leaves over every feature, with weights and a stump, seeded.</summary>
    internal static TreeEnsemble RandomEnsemble(int trees, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TreeEnsemble.Tree>();
        for (var t = 0; t < trees; t++)
        {
            var splits = t == 3 ? 0 : rng.Next(1, 8);
            list.Add(RandomTrees.Tree(rng, splits, RankingFeatures.Count, r => (float)(r.NextDouble() * 2 - 0.5), shuffleLeaves: false));
        }
        return new TreeEnsemble(list, 0.1, RankingFeatures.Count);
    }

    private static float[] RandomRows(int count, int seed)
    {
        var rng = new Random(seed);
        var rows = new float[count * RankingFeatures.Count];
        // Coarse values, so that rows tie on partial scores too.
        for (var i = 0; i < rows.Length; i++) rows[i] = rng.Next(5) * 0.25f;
        return rows;
    }

    /// <summary>A random ensemble, random rows and their full scores.</summary>
    private static (TreeEnsemble Ensemble, float[] Rows, double[] Full) Scored(int trees, int rows, int seed)
    {
        var e = RandomEnsemble(trees, seed);
        var x = RandomRows(rows, seed + 1);
        var full = new double[rows];
        e.ScoreMany(x, full);
        return (e, x, full);
    }

    /// <summary>The first trees of an ensemble as an ensemble of their own: its scores are the cascade's partial scores.</summary>
    private static TreeEnsemble FirstTrees(TreeEnsemble e, int k) => new(e.Trees.Take(k).ToList(), e.Bias, e.FeatureCount);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(25)]
    [InlineData(40)]   // every tree: the cascade keeps the best rows by their full scores
    public void The_cascade_keeps_the_best_rows_by_partial_score_and_scores_them_exactly_as_the_full_model(int firstTrees)
    {
        var e = RandomEnsemble(40, 2);
        var f = e.FeatureCount;
        const int count = 130;
        var rows = RandomRows(count, 3);
        // Rows 100..129 repeat rows 0..29: equal partial and full scores, which the cascade must break by the lower row.
        rows.AsSpan(0, 30 * f).CopyTo(rows.AsSpan(100 * f));
        var full = new double[count];
        e.ScoreMany(rows, full);
        var partial = new double[count];
        FirstTrees(e, firstTrees).ScoreMany(rows, partial);
        // Expected: the best 12 by partial score, ties by the lower row.
        var expected = Enumerable.Range(0, count).OrderByDescending(r => partial[r]).ThenBy(r => r).Take(12).ToArray();

        var kept = new int[12];
        var scores = new double[12];
        Assert.Equal(12, e.ScoreCascade(rows, count, firstTrees, 12, kept, scores));
        Assert.Equal(expected, kept);
        for (var i = 0; i < kept.Length; i++)
        {
            Assert.Equal(full[kept[i]], scores[i]);                        // bit for bit, not within a tolerance
            Assert.Equal(e.Score(rows.AsSpan(kept[i] * f, f)), scores[i]);
        }
        if (firstTrees == 40)
            Assert.Equal(Enumerable.Range(0, count).OrderByDescending(r => full[r]).ThenBy(r => r).Take(12), kept);
    }

    [Fact]
    public void A_cascade_that_keeps_every_row_is_plain_scoring()
    {
        var (e, rows, full) = Scored(20, 9, 4);
        var kept = new int[20];
        var scores = new double[20];
        Assert.Equal(9, e.ScoreCascade(rows, 9, 5, 20, kept, scores));
        Assert.Equal(Enumerable.Range(0, 9), kept.Take(9));
        Assert.Equal(full, scores.Take(9));
    }

    [Fact]
    public void Adding_the_trees_in_two_parts_gives_exactly_the_full_score()
    {
        var (e, rows, full) = Scored(30, 11, 6);
        var parts = new double[11];
        parts.AsSpan().Fill(e.Bias);
        e.AddTrees(rows, parts, 0, 13);
        e.AddTrees(rows, parts, 13, 30);
        Assert.Equal(full, parts);
        Assert.Throws<ArgumentOutOfRangeException>(() => e.AddTrees(rows, parts, 13, 31));
    }

    [Fact]
    public void A_model_keeps_its_cascade_through_its_bytes_and_a_model_without_one_keeps_the_old_format()
    {
        var plain = RankingModelTests.Model();
        var bytes = plain.ToBytes();
        Assert.Equal(1, BitConverter.ToInt32(bytes, 4));   // format 1, as every model written before the cascade
        Assert.True(RankingModel.FromBytes(bytes).Cascade.IsFull);

        var e = RandomEnsemble(30, 8);
        var model = new RankingModel(e, RankingFeatures.Names, -1, 0, 0.1, plain.TrainedAt, cascade: new ScoringCascade(10, 15));
        var cascaded = model.ToBytes();
        Assert.Equal(2, BitConverter.ToInt32(cascaded, 4));
        var back = RankingModel.FromBytes(cascaded);
        Assert.Equal(new ScoringCascade(10, 15), back.Cascade);
        Assert.Equal(model.Version, back.Version);
        Assert.NotEqual(model.WithCascade(ScoringCascade.Full).Version, model.Version);
        Assert.Equal(model.Cascade, model.WithShowThreshold(0.3).WithMetrics(new Dictionary<string, double>()).Cascade);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.WithCascade(new ScoringCascade(31, 15)));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.WithCascade(new ScoringCascade(5, 0)));
    }

    [Fact]
    public void The_ranker_under_a_cascade_ranks_the_kept_candidates_as_full_scoring_ranks_them()
    {
        // Forty candidates bought with the cart item, each in a different number of orders.
        var store = new Store().Item("base", "bases", 100);
        for (var i = 0; i < 40; i++) store.Item($"c{i:D2}", $"leaf{i}", 10).Orders(1 + i % 13, "base", $"c{i:D2}");
        var inputs = LearnedAddOnRankerTests.Inputs(store);
        var options = new RecommendationOptions { RerankDepth = 10, MaxAddOns = 3 };
        var e = RandomEnsemble(30, 9);
        var full = new RankingModel(e, RankingFeatures.Names, -1, 0, 0, Store.Now);
        var set = new CandidateGenerator().Generate(store.Cart("base"), inputs, Store.Now);
        Assert.True(set.Candidates.Count >= 40);
        var features = RankingFeatures.Extract(set, store.Catalog);
        var byFull = new LearnedAddOnRanker(full, options).Score(set, features);

        // Every tree first: the kept candidates are exactly full scoring's best, with its scores and order.
        var allTrees = new LearnedAddOnRanker(full.WithCascade(new ScoringCascade(30, 12)), options).Score(set, features);
        Assert.Equal(byFull.Take(12).Select(s => (s.Candidate.Sku, s.Score, s.Probability)), allTrees.Select(s => (s.Candidate.Sku, s.Score, s.Probability)));

        // Fewer trees first: whatever is kept carries its full score, and the list is never shorter than the ranker's depth.
        var fewTrees = new LearnedAddOnRanker(full.WithCascade(new ScoringCascade(3, 5)), options).Score(set, features);
        Assert.Equal(10, fewTrees.Count);
        var fullScore = byFull.ToDictionary(s => s.Candidate.Sku, s => s.Score);
        Assert.All(fewTrees, s => Assert.Equal(fullScore[s.Candidate.Sku], s.Score));
        Assert.Equal(fewTrees.OrderByDescending(s => s.Score).ThenBy(s => s.Candidate.Sku, StringComparer.Ordinal), fewTrees);

        // A cascade that keeps every candidate is full scoring.
        var keepAll = new LearnedAddOnRanker(full.WithCascade(new ScoringCascade(3, 500)), options).Score(set, features);
        Assert.Equal(byFull, keepAll);
    }

    [Fact]
    public void Where_too_few_kept_candidates_pass_the_rules_the_ranker_shows_what_full_scoring_shows()
    {
        // Forty candidates of the cart item, thirty of them out of stock: a cascade that keeps the rerank depth (10)
        // keeps mostly items the rules refuse.
        var store = new Store().Item("base", "bases", 100);
        for (var i = 0; i < 40; i++) store.Item($"c{i:D2}", $"leaf{i}", 10, inStock: i >= 30).Orders(1 + i % 13, "base", $"c{i:D2}");
        var inputs = LearnedAddOnRankerTests.Inputs(store);
        var options = new RecommendationOptions { RerankDepth = 10, MaxAddOns = 3 };
        var full = new RankingModel(RandomEnsemble(30, 9), RankingFeatures.Names, -1, 0, 0, Store.Now);
        var cascade = new LearnedAddOnRanker(full.WithCascade(new ScoringCascade(3, 5)), options);
        var fullRanker = new LearnedAddOnRanker(full, options);
        var basket = store.Cart("base");
        var set = new CandidateGenerator().Generate(basket, inputs, Store.Now);
        var features = RankingFeatures.Extract(set, store.Catalog);
        var kept = cascade.Score(set, features);
        var byFull = fullRanker.Score(set, features);
        string[] Skus(AddOnList list) => [.. list.AddOns.Select(a => a.Sku)];

        var expected = Skus(fullRanker.Select(basket, inputs, set, byFull, 0));
        Assert.Equal(3, expected.Length);
        // The kept ones alone would show less than full scoring: that is what the fall-back is for.
        Assert.NotEqual(expected, Skus(cascade.Select(basket, inputs, set, kept, 0)));
        Assert.Equal(expected, Skus(cascade.Select(basket, inputs, set, kept, byFull, 0, out var fellBack)));
        Assert.True(fellBack);
        Assert.Equal(expected, Skus(cascade.Rank(basket, inputs, set, features, 0)));
        Assert.Equal(expected, Skus(cascade.Rank(basket, inputs, Store.Now, 0)));

        // Every candidate in stock: the kept ones suffice, nothing is scored again.
        var stocked = new Store().Item("base", "bases", 100);
        for (var i = 0; i < 40; i++) stocked.Item($"c{i:D2}", $"leaf{i}", 10).Orders(1 + i % 13, "base", $"c{i:D2}");
        var stockedInputs = LearnedAddOnRankerTests.Inputs(stocked);
        var stockedSet = new CandidateGenerator().Generate(stocked.Cart("base"), stockedInputs, Store.Now);
        var stockedFeatures = RankingFeatures.Extract(stockedSet, stocked.Catalog);
        cascade.Select(stocked.Cart("base"), stockedInputs, stockedSet, cascade.Score(stockedSet, stockedFeatures),
            fullRanker.Score(stockedSet, stockedFeatures), 0, out var stockedFellBack);
        Assert.False(stockedFellBack);
    }
}
