using CartCrossSell.Engine.Merchandising;

namespace CartCrossSell.Engine.Ranking;

/// <summary>One scored candidate: its estimated add probability and what the sources knew of it.</summary>
public readonly record struct ScoredCandidate(CandidateEvidence Candidate, double Score, double Probability);

/// <summary>
/// Ranks add-ons for the whole basket with a learned model. In order:
/// <list type="number">
/// <item>candidates from every source (<see cref="CandidateGenerator"/>);</item>
/// <item>features (<see cref="RankingFeatures"/>) scored by the model's trees and calibrated to an estimated probability
/// that the shopper adds the item;</item>
/// <item>the hard cart rules on the most probable (<see cref="CartRules"/>, with substitutes learned from the orders);</item>
/// <item>the final order by expected margin of the add: probability × price-band preference × (1 + MarginWeight ×
/// margin rate) among the <see cref="RecommendationOptions.RerankDepth"/> most probable qualified candidates;</item>
/// <item>the merchandising stage (<see cref="Merchandiser"/>: pins, block, markets, limits, boost and bury, diversity) on
/// those qualified candidates;</item>
/// <item>fewer when unsure: an add-on below the model's <see cref="RankingModel.ShowThreshold"/> is not shown, except
/// the first when the cart has real evidence for it (bought with or added next to a cart item), so a cart with
/// evidence is never left empty.</item>
/// </list>
/// Pure and safe for concurrent calls when the inputs are.
/// </summary>
public sealed class LearnedAddOnRanker
{
    public const string Learned = "learned";

    private readonly CandidateGenerator _generator;

    public LearnedAddOnRanker(RankingModel model, RecommendationOptions? options = null, CandidateOptions? candidates = null)
    {
        if (!model.MatchesFeatures)
            throw new ArgumentException($"model {model.Version} reads other features than this engine writes", nameof(model));
        Model = model;
        Options = options ?? new RecommendationOptions();
        Options.Validate();
        // The candidate settings the model was fitted with, when it records them: its features are computed as in its
        // training whatever this service's defaults are (a model without them, older, gets the defaults).
        _generator = new CandidateGenerator(candidates ?? model.Candidates ?? CandidateOptions.For(Options));
    }

    public RankingModel Model { get; }
    public RecommendationOptions Options { get; }
    public CandidateGenerator Candidates => _generator;

    /// <summary>
    /// The cart's candidates scored, most probable first (ties by sku); no rule applied. Every candidate under full
    /// scoring; under the model's <see cref="RankingModel.Cascade"/> only the kept ones (at least <see cref="Depth"/>).
    /// </summary>
    public IReadOnlyList<ScoredCandidate> Score(CandidateSet set, ICatalog? catalog)
    {
        var features = RentFeatures(set, catalog);
        try
        {
            return Score(set, features.AsSpan(0, set.Candidates.Count * RankingFeatures.Count), fully: false);
        }
        finally
        {
            _features = features;
        }
    }

    /// <summary>
    /// The candidates' feature rows, in a buffer per thread (scratch of one call: a new array per cart was a third of
    /// the call's allocation); the caller hands it back to <see cref="_features"/> when done.
    /// </summary>
    private static float[] RentFeatures(CandidateSet set, ICatalog? catalog)
    {
        var n = set.Candidates.Count * RankingFeatures.Count;
        var buffer = _features;
        _features = null;
        if (buffer is null || buffer.Length < n) buffer = new float[Math.Max(n, 256 * RankingFeatures.Count)];
        RankingFeatures.Extract(set, catalog, buffer);
        return buffer;
    }

    [ThreadStatic] private static float[]? _features;

    /// <summary>
    /// How many candidates a cascade keeps at least: the rules qualify the most probable ones until this many pass.
    /// When fewer of the kept ones pass (out of stock, a substitute, no one-click variant), <see cref="Rank(Basket, RankingInputs, DateTimeOffset, double, MerchandisingRuleSet?)"/>
    /// scores every candidate fully and selects again, so a cascade never shows fewer add-ons than full scoring would.
    /// </summary>
    public int Depth => Math.Max(Options.RerankDepth, Options.MaxAddOns);

    /// <summary>Scores already computed (the trainer's validation rows) through the model, most probable first.</summary>
    public IReadOnlyList<ScoredCandidate> Score(CandidateSet set, ReadOnlySpan<float> features) => Score(set, features, fully: false);

    private IReadOnlyList<ScoredCandidate> Score(CandidateSet set, ReadOnlySpan<float> features, bool fully)
    {
        var n = set.Candidates.Count;
        var cascade = Model.Cascade;
        if (!fully && !cascade.IsFull && Math.Max(cascade.Keep, Depth) < n)
        {
            var keep = Math.Max(cascade.Keep, Depth);
            var kept = keep <= 256 ? stackalloc int[keep] : new int[keep];
            var keptScores = keep <= 256 ? stackalloc double[keep] : new double[keep];
            var m = Model.Ensemble.ScoreCascade(features, n, cascade.FirstTrees, keep, kept, keptScores);
            var shortlist = new ScoredCandidate[m];
            for (var i = 0; i < m; i++)
                shortlist[i] = new ScoredCandidate(set.Candidates[kept[i]], keptScores[i], Model.Probability(keptScores[i]));
            return MostProbableFirst(shortlist);
        }
        var scores = n <= 512 ? stackalloc double[n] : new double[n];
        Model.Ensemble.ScoreMany(features[..(n * RankingFeatures.Count)], scores);
        var result = new ScoredCandidate[n];
        for (var i = 0; i < n; i++) result[i] = new ScoredCandidate(set.Candidates[i], scores[i], Model.Probability(scores[i]));
        return MostProbableFirst(result);
    }

    /// <summary>Most probable first, equal scores by sku: the one order of scored candidates (the trainer sorts with it too).</summary>
    public static ScoredCandidate[] MostProbableFirst(ScoredCandidate[] scored)
    {
        Array.Sort(scored, ByScore.Instance);
        return scored;
    }

    private sealed class ByScore : IComparer<ScoredCandidate>
    {
        public static readonly ByScore Instance = new();

        public int Compare(ScoredCandidate a, ScoredCandidate b)
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Candidate.Sku, b.Candidate.Sku);
        }
    }

    /// <summary>The cart-page add-ons for the whole basket, with the merchandising <paramref name="rules"/> active at <paramref name="now"/>.</summary>
    public AddOnList Rank(Basket basket, RankingInputs inputs, DateTimeOffset now, MerchandisingRuleSet? rules = null) =>
        Rank(basket, inputs, now, Model.ShowThreshold, rules);

    /// <summary>As <see cref="Rank(Basket, RankingInputs, DateTimeOffset, MerchandisingRuleSet?)"/> with another show threshold (to draw its curve).</summary>
    public AddOnList Rank(Basket basket, RankingInputs inputs, DateTimeOffset now, double showThreshold, MerchandisingRuleSet? rules = null)
    {
        if (basket.IsEmpty) return AddOnList.Empty(Learned) with { ModelVersion = Model.Version };
        // The list keeps nothing of the candidates (skus, titles and reasons are strings), so they come from the thread's pool.
        var pool = _pool ?? new CandidateGenerator.EvidencePool();
        _pool = null;
        try
        {
            var set = _generator.Generate(basket, inputs, now, pool);
            var features = RentFeatures(set, inputs.Catalog);
            try
            {
                return Rank(basket, inputs, set, features.AsSpan(0, set.Candidates.Count * RankingFeatures.Count), showThreshold, rules, now);
            }
            finally
            {
                _features = features;
            }
        }
        finally
        {
            _pool = pool;
        }
    }

    [ThreadStatic] private static CandidateGenerator.EvidencePool? _pool;

    /// <summary>
    /// The add-ons of a cart whose candidates and feature rows exist already (the trainer's validation carts): what
    /// <see cref="Rank(Basket, RankingInputs, DateTimeOffset, double, MerchandisingRuleSet?)"/> shows, the model's
    /// cascade and its fall-back to full scoring included.
    /// </summary>
    public AddOnList Rank(Basket basket, RankingInputs inputs, CandidateSet set, ReadOnlySpan<float> rows, double showThreshold,
        MerchandisingRuleSet? rules = null, DateTimeOffset now = default)
    {
        var scored = Score(set, rows, fully: false);
        var list = Select(basket, inputs, set, scored, showThreshold, rules, now, out var shortOfDepth);
        // The cascade kept too few that pass the rules: what full scoring would have reached further down (the same
        // feature rows, every tree).
        return FallsBack(shortOfDepth, scored, set)
            ? Select(basket, inputs, set, Score(set, rows, fully: true), showThreshold, rules, now, out _)
            : list;
    }

    /// <summary>
    /// What <see cref="Rank(Basket, RankingInputs, CandidateSet, ReadOnlySpan{float}, double, MerchandisingRuleSet?, DateTimeOffset)"/>
    /// shows when the candidates are scored already both ways: the rules over <paramref name="scored"/> (the cascade's
    /// kept candidates), or over <paramref name="fullyScored"/> where the ranker falls back to full scoring
    /// (<paramref name="fellBack"/>). The trainer's cascade choice counts those carts' cost.
    /// </summary>
    public AddOnList Select(Basket basket, RankingInputs inputs, CandidateSet set, IReadOnlyList<ScoredCandidate> scored,
        IReadOnlyList<ScoredCandidate> fullyScored, double showThreshold, out bool fellBack)
    {
        var list = Select(basket, inputs, set, scored, showThreshold, null, default, out var shortOfDepth);
        fellBack = FallsBack(shortOfDepth, scored, set);
        return fellBack ? Select(basket, inputs, set, fullyScored, showThreshold, null, default, out _) : list;
    }

    /// <summary>Whether a cascade's kept candidates fell short of <see cref="Depth"/> passing the rules, with more to score.</summary>
    private static bool FallsBack(bool shortOfDepth, IReadOnlyList<ScoredCandidate> scored, CandidateSet set) =>
        shortOfDepth && scored.Count < set.Candidates.Count;

    /// <summary>The cart rules, the merchandising stage, the final order and the show threshold over already scored candidates.</summary>
    public AddOnList Select(Basket basket, RankingInputs inputs, CandidateSet set, IReadOnlyList<ScoredCandidate> scored, double showThreshold,
        MerchandisingRuleSet? merchandising = null, DateTimeOffset now = default) =>
        Select(basket, inputs, set, scored, showThreshold, merchandising, now, out _);

    /// <param name="shortOfDepth">True when fewer than <see cref="Depth"/> of <paramref name="scored"/> passed the rules.</param>
    private AddOnList Select(Basket basket, RankingInputs inputs, CandidateSet set, IReadOnlyList<ScoredCandidate> scored, double showThreshold,
        MerchandisingRuleSet? merchandising, DateTimeOffset now, out bool shortOfDepth)
    {
        var catalog = inputs.Catalog;
        var o = Options;
        CartRules? rules = null;
        if (catalog is not null)
        {
            var substitutes = new LearnedSubstitutes(set, inputs.Evidence, o);
            rules = new CartRules(basket, catalog, o, substitutes.IsSubstitute);
        }
        var depth = Math.Max(o.RerankDepth, o.MaxAddOns);
        var qualified = new List<(ScoredCandidate Scored, double Final, CatalogItem? Item, string VariantId, string VariantReason)>(depth);
        foreach (var s in scored)
        {
            if (qualified.Count == depth) break;
            var sku = s.Candidate.Sku;
            if (basket.Contains(sku)) continue;
            var item = catalog is null ? null : CatalogMemo.Find(catalog, sku);
            if (item is null)
            {
                if (!o.AllowUnknownItems) continue;
                qualified.Add((s, s.Probability, null, sku, "not in the catalog: variant not checked"));
                continue;
            }
            if (!rules!.TryQualify(item, s.Probability, 0, out var q)) continue;
            qualified.Add((s, s.Probability * q.Factor, item, q.VariantId, q.VariantReason));
        }
        shortOfDepth = qualified.Count < depth;
        var shortlist = qualified.Select((q, i) => new ShortlistItem(q.Scored.Candidate.Sku, q.Item, q.Final, i)).ToList();
        // Pinned items outside the shortlist: index -1, -2, ... into this list.
        var pinned = new List<(CatalogItem Item, QualifiedAddOn Qualified)>();
        ShortlistItem? QualifyPin(string sku)
        {
            var at = shortlist.FindIndex(s => s.Sku == sku);
            if (at >= 0) return shortlist[at];
            if (basket.Contains(sku) || catalog?.Find(sku) is not { } item || !rules!.TryQualify(item, 0, 0, out var q)) return null;
            pinned.Add((item, q));
            return new ShortlistItem(sku, item, 0, -pinned.Count);
        }
        // The show threshold: an add-on below it is not shown, except the first when the cart has evidence for it.
        IReadOnlyList<ShortlistItem> Cut(IReadOnlyList<ShortlistItem> bestFirst, int slots)
        {
            var shown = new List<ShortlistItem>(Math.Max(0, slots));
            foreach (var c in bestFirst)
            {
                if (shown.Count >= slots) break;
                var s = qualified[c.Index].Scored;
                var sure = s.Probability >= showThreshold;
                var firstWithEvidence = shown.Count == 0 && s.Candidate.HasItemEvidence;
                if (sure || firstWithEvidence) shown.Add(c);
            }
            return shown;
        }
        var merchandiser = new Merchandiser(merchandising ?? MerchandisingRuleSet.None, o.Diversity, basket, catalog ?? NoCatalog, now);
        var list = merchandiser.Apply(shortlist, o.MaxAddOns, Cut, QualifyPin);
        var result = list.AddOns.Select(m =>
        {
            if (m.Candidate.Index < 0)
            {
                var (item, q) = pinned[-m.Candidate.Index - 1];
                return new AddOn(item.Sku, q.VariantId, item.Title, item.Price, 0, merchandiser.PinReason(m.PinnedBy!), q.VariantReason);
            }
            var x = qualified[m.Candidate.Index];
            var reason = m.PinnedBy is { } pin ? merchandiser.PinReason(pin) : Reason(set, x.Scored.Candidate, catalog);
            return new AddOn(x.Scored.Candidate.Sku, x.VariantId, x.Item?.Title ?? x.Scored.Candidate.Sku, x.Item?.Price ?? 0m,
                x.Scored.Probability, reason, x.VariantReason);
        }).ToList();
        return new AddOnList(result, Learned) { ModelVersion = Model.Version, AppliedRules = list.AppliedRules };
    }

    private static readonly InMemoryCatalog NoCatalog = new([]);

    private static string Reason(CandidateSet set, CandidateEvidence c, ICatalog? catalog)
    {
        string Title(int index) => (catalog?.Find(set.Cart[index].Sku)?.Title ?? set.Cart[index].Sku).ToLowerInvariant();
        if (c.BestCartItem >= 0)
        {
            var first = Title(c.BestCartItem);
            if (c.SecondCartItem < 0) return $"often bought with {first}";
            var more = c.Matches - 2;
            return more > 0
                ? $"often bought with {first}, {Title(c.SecondCartItem)} and {more} more in your cart"
                : $"often bought with {first} and {Title(c.SecondCartItem)}";
        }
        if (c.NextSum > 0 || c.PreviousSum > 0) return "often added together with items in your cart";
        // Held by past baskets like this cart, though the learned rows keep no pair with a cart item (pruned, or newer than them).
        if (c.SimilarScore > 0) return "in baskets like yours";
        if (c.CategoryScore > 0)
        {
            var leaf = catalog?.Find(c.Sku)?.LeafCategory;
            return string.IsNullOrEmpty(leaf) ? "popular in a category often bought with your cart" : $"popular in {leaf}, a category often bought with your cart";
        }
        return "a best seller";
    }
}
