using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Ranking.Training;

/// <summary>One (first trees, kept candidates) pair tried on the validation slice, against full scoring.</summary>
/// <remarks>
/// <see cref="NodeShare"/> counts, as serving does, the carts the ranker scores again in full because too few of the
/// kept candidates pass the rules (<see cref="FallbackShare"/> of the validation carts). Pairs are tried in the order
/// of their planned share, without those carts, until the planned share reaches the served share of the cheapest pair
/// that qualified; that one is chosen (<see cref="Accepted"/>).
/// </remarks>
public sealed record CascadeTrial(ScoringCascade Cascade, double NodeShare, double ChangedLists, double HitRateAt3LastAdded, double HitRateAt3Random, bool Accepted)
{
    /// <summary>Share of the validation carts scored again in full (kept candidates short of the rerank depth after the rules).</summary>
    public double FallbackShare { get; init; }

    /// <summary>Whether it met the conditions (fewer lists changed than allowed, no lower HR@3, cheaper than full scoring); the cheapest that did is <see cref="Accepted"/>.</summary>
    public bool Qualified { get; init; }
}

/// <summary>What the cascade choice measured: full scoring's validation HR@3 and the pairs tried, in order of planned cost.</summary>
public sealed record CascadeReport(ScoringCascade Chosen, double FullHitRateAt3LastAdded, double FullHitRateAt3Random, IReadOnlyList<CascadeTrial> Trials);

/// <summary>
/// Chooses the model's <see cref="ScoringCascade"/> on the validation slice: among a grid of (first trees K, kept
/// candidates M), the cheapest as served (fewest tree visits over the validation carts: every candidate × K + the kept
/// × the rest, and every candidate × every tree again for a cart whose kept candidates pass the rules fewer than the
/// ranker's depth) whose shown lists, at the model's show threshold and under the serving rules, differ from full
/// scoring's on at most <see cref="RankerTrainerOptions.CascadeMaxChangedLists"/> of the carts and whose HR@3 is not
/// lower on either protocol. None passes: full scoring. Everything is read from the validation slice, never a test slice.
/// </summary>
public static class CascadeChooser
{
    /// <summary>Candidate first-tree counts (those below the model's tree count are tried).</summary>
    public static readonly IReadOnlyList<int> FirstTreesGrid = [5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125];

    /// <summary>Candidate kept counts (a ranker keeps at least its rerank depth anyway).</summary>
    public static readonly IReadOnlyList<int> KeepGrid = [10, 12, 15, 20, 25, 30, 40, 50, 60, 80];

    /// <param name="model">The model with full scoring and its show threshold.</param>
    /// <param name="scores">Every validation row's full score (<see cref="TreeEnsemble.Score"/>).</param>
    /// <param name="scored">Every validation cart's candidates under full scoring, most probable first.</param>
    public static CascadeReport Choose(RankingModel model, RankingTrainingData data, LearnedAddOnRanker ranker, double[] scores,
        IReadOnlyList<IReadOnlyList<ScoredCandidate>> scored, double maxChangedLists)
    {
        var ensemble = model.Ensemble;
        var trees = ensemble.TreeCount;
        var cases = data.ValidationCases;
        var sets = data.ValidationSets;
        var validation = data.Validation;
        var threshold = model.ShowThreshold;
        var depth = ranker.Depth;

        var reference = new string[cases.Count][];
        for (var i = 0; i < cases.Count; i++) reference[i] = Shown(ranker, data, i, scored[i], threshold);
        var (fullLast, fullRandom) = HitRates(data, reference);

        // Partial scores of every validation row after each first-trees count of the grid: one pass over the trees.
        var ks = FirstTreesGrid.Where(k => k < trees).ToArray();
        var partial = new double[ks.Length][];
        var running = new double[validation.Count];
        running.AsSpan().Fill(ensemble.Bias);
        var allRows = validation.Rows(0, validation.Count);
        for (int j = 0, done = 0; j < ks.Length; done = ks[j], j++)
        {
            ensemble.AddTrees(allRows, running, done, ks[j]);
            partial[j] = (double[])running.Clone();
        }

        // Cost in tree walks over the validation carts, against full scoring's.
        var full = 0.0;
        foreach (var set in sets) full += (double)set.Candidates.Count * trees;
        var pairs = new List<(int K, int KIndex, int Keep, double Share)>();
        for (var j = 0; j < ks.Length; j++)
            foreach (var m in KeepGrid.Select(m => Math.Max(m, depth)).Distinct())
            {
                var cost = 0.0;
                foreach (var set in sets)
                {
                    var n = set.Candidates.Count;
                    cost += m >= n ? (double)n * trees : (double)n * ks[j] + (double)m * (trees - ks[j]);
                }
                if (cost < full) pairs.Add((ks[j], j, m, cost / full));
            }

        var trials = new List<CascadeTrial>();
        var chosen = -1;
        foreach (var (k, kIndex, keep, plannedShare) in pairs.OrderBy(p => p.Share).ThenBy(p => p.K))
        {
            // Served cost is the planned cost plus the carts scored again, never less: once a pair qualifies, only
            // pairs planned cheaper than its served cost can beat it.
            if (chosen >= 0 && plannedShare >= trials[chosen].NodeShare) break;
            var shown = new string[cases.Count][];
            var changed = 0;
            // A cart whose kept candidates pass the rules fewer than the rerank depth is scored again in full, as
            // the ranker serves it: its list is full scoring's, and its cost is both.
            var fallbackWalks = 0.0;
            var fallbacks = 0;
            for (var i = 0; i < cases.Count; i++)
            {
                var list = Kept(sets[i], validation.GroupStart[i], partial[kIndex], scores, keep, model);
                if (list is null) shown[i] = reference[i];
                else
                {
                    shown[i] = [.. ranker.Select(cases[i].Basket, data.ValidationInputs, sets[i], list, scored[i], threshold, out var fellBack).AddOns.Select(a => a.Sku)];
                    if (fellBack)
                    {
                        fallbacks++;
                        fallbackWalks += (double)sets[i].Candidates.Count * trees;
                    }
                }
                if (!shown[i].AsSpan().SequenceEqual(reference[i])) changed++;
            }
            var (last, random) = HitRates(data, shown);
            var changedShare = cases.Count == 0 ? 0 : (double)changed / cases.Count;
            var share = plannedShare + fallbackWalks / full;
            var qualified = share < 1 && changedShare <= maxChangedLists && last >= fullLast && random >= fullRandom;
            trials.Add(new CascadeTrial(new ScoringCascade(k, keep), share, changedShare, last, random, Accepted: false)
            {
                FallbackShare = cases.Count == 0 ? 0 : (double)fallbacks / cases.Count,
                Qualified = qualified,
            });
            if (qualified && (chosen < 0 || share < trials[chosen].NodeShare)) chosen = trials.Count - 1;
        }
        if (chosen >= 0) trials[chosen] = trials[chosen] with { Accepted = true };
        return new CascadeReport(chosen >= 0 ? trials[chosen].Cascade : ScoringCascade.Full, fullLast, fullRandom, trials);
    }

    /// <summary>
    /// A cart's candidates as the cascade ranks them: the kept rows by partial score, with their full scores (exactly
    /// what the cascade computes for them), most probable first; null when every candidate is kept.
    /// </summary>
    private static ScoredCandidate[]? Kept(CandidateSet set, int start, double[] partial, double[] scores, int keep, RankingModel model)
    {
        var n = set.Candidates.Count;
        if (keep >= n) return null;
        var best = new int[keep];
        TreeEnsemble.Best(partial.AsSpan(start, n), best);
        var list = new ScoredCandidate[keep];
        for (var i = 0; i < keep; i++)
        {
            var score = scores[start + best[i]];
            list[i] = new ScoredCandidate(set.Candidates[best[i]], score, model.Probability(score));
        }
        return LearnedAddOnRanker.MostProbableFirst(list);
    }

    /// <summary>The skus shown for validation cart <paramref name="i"/> from its candidates scored already (no fall-back: full scoring, or a cascade's kept ones alone).</summary>
    internal static string[] Shown(LearnedAddOnRanker ranker, RankingTrainingData data, int i, IReadOnlyList<ScoredCandidate> scored, double threshold) =>
        ranker.Select(data.ValidationCases[i].Basket, data.ValidationInputs, data.ValidationSets[i], scored, threshold).AddOns.Select(a => a.Sku).ToArray();

    /// <summary>HR@3 per protocol of the lists shown for each validation cart.</summary>
    internal static (double LastAdded, double Random) HitRates(RankingTrainingData data, string[][] shown) => HitRates(data, Hits(data, shown));

    /// <summary>Whether each validation cart's shown list holds its hidden item.</summary>
    internal static bool[] Hits(RankingTrainingData data, string[][] shown)
    {
        var hits = new bool[shown.Length];
        for (var i = 0; i < shown.Length; i++) hits[i] = shown[i].Contains(data.ValidationCases[i].Hidden);
        return hits;
    }

    /// <summary>HR@3 per protocol of the validation carts' hits.</summary>
    internal static (double LastAdded, double Random) HitRates(RankingTrainingData data, bool[] hits)
    {
        int last = 0, lastHits = 0, random = 0, randomHits = 0;
        for (var i = 0; i < hits.Length; i++)
        {
            var c = data.ValidationCases[i];
            var hit = hits[i] ? 1 : 0;
            if (c.Protocol == HoldoutProtocol.LastAdded) { last++; lastHits += hit; }
            else if (c.Protocol == HoldoutProtocol.RandomItem) { random++; randomHits += hit; }
        }
        return (last == 0 ? 0 : (double)lastHits / last, random == 0 ? 0 : (double)randomHits / random);
    }
}
