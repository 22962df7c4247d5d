namespace CartCrossSell.Engine.Ranking;

/// <summary>One point of the "fewer when unsure" curve: a show threshold and what it does to hits and list length.</summary>
public sealed record ThresholdPoint(double Threshold, double HitRateAt3, double AddOnsPerCart, double EmptyShare);

/// <summary>
/// Chooses the show threshold on validation cases: the curve of HR@3 against add-ons shown per cart, and the highest
/// threshold that keeps at least (1 - maxHitLoss) of the hits of showing every qualified add-on. The rule is the same
/// for every store: give up at most a stated share of hits to show fewer, surer add-ons.
/// </summary>
public static class ShowThreshold
{
    public static readonly IReadOnlyList<double> Grid =
        [0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];

    /// <summary>The curve over cases whose candidates are already scored (once, for every threshold).</summary>
    public static IReadOnlyList<ThresholdPoint> Curve(LearnedAddOnRanker ranker,
        IEnumerable<(RankingCase Case, CandidateSet Set, IReadOnlyList<ScoredCandidate> Scored)> scoredCases, RankingInputs inputs,
        IReadOnlyList<double>? thresholds = null)
    {
        thresholds ??= Grid;
        var hits = new int[thresholds.Count];
        var shown = new long[thresholds.Count];
        var empty = new int[thresholds.Count];
        var count = 0;
        foreach (var (c, set, scored) in scoredCases)
        {
            count++;
            for (var t = 0; t < thresholds.Count; t++)
            {
                var list = ranker.Select(c.Basket, inputs, set, scored, thresholds[t]).AddOns;
                if (list.Any(a => a.Sku == c.Hidden)) hits[t]++;
                shown[t] += list.Count;
                if (list.Count == 0) empty[t]++;
            }
        }
        var n = Math.Max(1, count);
        return thresholds.Select((t, i) => new ThresholdPoint(t, (double)hits[i] / n, (double)shown[i] / n, (double)empty[i] / n)).ToList();
    }

    public static double Choose(IReadOnlyList<ThresholdPoint> curve, double maxHitLoss)
    {
        if (curve.Count == 0) return 0;
        var full = curve.Max(p => p.HitRateAt3);
        return curve.Where(p => p.HitRateAt3 >= (1 - maxHitLoss) * full).Max(p => p.Threshold);
    }
}
