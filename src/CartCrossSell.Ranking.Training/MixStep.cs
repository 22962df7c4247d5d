using CartCrossSell.Engine.Evaluation;

namespace CartCrossSell.Ranking.Training;

/// <summary>
/// Whether a step of the task-mix walk pays: the walk's measure (HR@3 of the weaker protocol over its best baseline,
/// on the validation carts) must rise by more than its noise. A step that gains less than one standard error of the
/// change is as likely the slice's luck as the mix's merit, and the mix nearer 1:1 (the plan) is kept: the
/// one-standard-error rule of model selection. Without it the walk's last step on Online Retail with the rules on was
/// a knife edge: the similar baskets' top of 40 stopped at two thirds, the top of 20 stepped to last-added tasks only
/// on 0.85 against 0.83 (docs/engine.md, "Task mix").
/// </summary>
public static class MixStep
{
    /// <summary>
    /// The standard error of the change in the walk's measure from model <paramref name="hitsFrom"/> to model
    /// <paramref name="hitsTo"/>, both scored on the same validation carts (case i: order <paramref name="orders"/>[i],
    /// protocol <paramref name="protocols"/>[i], a hit or not): a paired bootstrap over the orders, each drawn order
    /// bringing its carts of both protocols, with the best baselines held at their values on the whole slice (both
    /// models are divided by the same ones). A protocol without cases or without a baseline hit does not count. 0 when
    /// the two models hit the same carts.
    /// </summary>
    public static double StandardError(IReadOnlyList<string> orders, IReadOnlyList<HoldoutProtocol> protocols,
        IReadOnlyList<bool> hitsFrom, IReadOnlyList<bool> hitsTo, double bestLastAdded, double bestRandom, int resamples = 500, int seed = 1)
    {
        var n = orders.Count;
        if (protocols.Count != n || hitsFrom.Count != n || hitsTo.Count != n)
            throw new ArgumentException("one order, protocol and hit of each model per validation cart");
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 2);
        // Per order: [cases, hits from, hits to] of each protocol (last added at 0-2, random item at 3-5).
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new List<int[]>();
        for (var i = 0; i < n; i++)
        {
            var at = protocols[i] switch
            {
                HoldoutProtocol.LastAdded => 0,
                HoldoutProtocol.RandomItem => 3,
                _ => -1,
            };
            if (at < 0) continue;
            if (!index.TryGetValue(orders[i], out var g))
            {
                g = groups.Count;
                index[orders[i]] = g;
                groups.Add(new int[6]);
            }
            var counts = groups[g];
            counts[at]++;
            if (hitsFrom[i]) counts[at + 1]++;
            if (hitsTo[i]) counts[at + 2]++;
        }
        if (groups.Count == 0) return 0;

        var random = new Random(seed);
        var sum = 0.0;
        var sumSquares = 0.0;
        var totals = new long[6];
        for (var r = 0; r < resamples; r++)
        {
            Array.Clear(totals);
            for (var d = 0; d < groups.Count; d++)
            {
                var counts = groups[random.Next(groups.Count)];
                for (var k = 0; k < 6; k++) totals[k] += counts[k];
            }
            var change = Measure(totals, 2, bestLastAdded, bestRandom) - Measure(totals, 1, bestLastAdded, bestRandom);
            sum += change;
            sumSquares += change * change;
        }
        var mean = sum / resamples;
        return Math.Sqrt(Math.Max(0, (sumSquares - resamples * mean * mean) / (resamples - 1)));
    }

    /// <summary>The walk's measure of one model (hits at offset 1 or 2 of each protocol's counts) in one resample.</summary>
    private static double Measure(long[] totals, int model, double bestLastAdded, double bestRandom)
    {
        var measure = double.PositiveInfinity;
        if (totals[0] > 0 && bestLastAdded > 0) measure = Math.Min(measure, totals[model] / (double)totals[0] / bestLastAdded);
        if (totals[3] > 0 && bestRandom > 0) measure = Math.Min(measure, totals[3 + model] / (double)totals[3] / bestRandom);
        return double.IsPositiveInfinity(measure) ? 0 : measure;
    }

    /// <summary>
    /// Whether the walk moves from a model whose measure is <paramref name="from"/> to one whose measure is
    /// <paramref name="to"/>: a rise of more than <paramref name="standardErrors"/> times the change's standard error.
    /// With 0 standard errors any rise moves it.
    /// </summary>
    public static bool Pays(double from, double to, double standardError, double standardErrors) =>
        to - from > Math.Max(standardErrors * standardError, 1e-9);
}
