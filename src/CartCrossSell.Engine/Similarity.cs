namespace CartCrossSell.Engine;

/// <summary>How strongly two rows go together, from their pair weight, their own weights and the basket count.</summary>
public enum SimilarityMeasure
{
    /// <summary>The decayed number of baskets holding both (plain "frequently bought together").</summary>
    Cooccurrence,
    /// <summary>P(candidate | cart item) = pair / w_a: favours popular candidates.</summary>
    Confidence,
    /// <summary>pair * N / (w_a * w_c): favours rare candidates; needs shrinkage.</summary>
    Lift,
    /// <summary>pair / sqrt(w_a * w_c).</summary>
    Cosine,
    /// <summary>pair / (w_a + w_c - pair).</summary>
    Jaccard,
}

/// <summary>
/// The similarity measures, each computable from two rows and the basket count only, so rows learned on different
/// partitions combine. Shrinkage <c>n / (n + lambda)</c>, with <c>n</c> the pair weight expressed as a count of
/// baskets (<see cref="DecayClock.ToCount"/>), pulls pairs seen in only a few baskets towards zero.
/// </summary>
public static class Similarity
{
    /// <param name="pair">Decayed weight of baskets holding both rows.</param>
    /// <param name="weightA">Decayed weight of the cart item's row.</param>
    /// <param name="weightC">Decayed weight of the candidate's row.</param>
    /// <param name="baskets">Decayed basket count.</param>
    /// <param name="pairCount">The pair weight as a count of baskets as of now.</param>
    /// <param name="shrinkage">Lambda; 0 disables shrinkage.</param>
    public static double Score(
        SimilarityMeasure measure, double pair, double weightA, double weightC, double baskets, double pairCount, double shrinkage)
    {
        if (pair <= 0 || weightA <= 0 || weightC <= 0) return 0;
        var raw = measure switch
        {
            SimilarityMeasure.Cooccurrence => pairCount,
            SimilarityMeasure.Confidence => pair / weightA,
            SimilarityMeasure.Lift => baskets > 0 ? pair * baskets / (weightA * weightC) : 0,
            SimilarityMeasure.Cosine => pair / Math.Sqrt(weightA * weightC),
            SimilarityMeasure.Jaccard => pair / Math.Max(weightA + weightC - pair, pair),
            _ => throw new ArgumentOutOfRangeException(nameof(measure), measure, null),
        };
        var score = shrinkage > 0 ? raw * (pairCount / (pairCount + shrinkage)) : raw;
        // Positive weights far apart in scale (rows another publisher wrote) can overflow a quotient: an infinite
        // similarity orders nothing and would push every finite one below a relative floor, so it counts as none.
        return double.IsFinite(score) ? score : 0;
    }

    public static string Name(SimilarityMeasure measure) => measure.ToString().ToLowerInvariant();

    public static bool TryParse(string text, out SimilarityMeasure measure) =>
        Enum.TryParse(text, ignoreCase: true, out measure) && Enum.IsDefined(measure);
}
