using CartCrossSell.Experiments.Statistics;

namespace CartCrossSell.Experiments;

/// <summary>
/// Pure functions from exact cohort sums to the published metrics (formulas in docs/experiments.md). Doubles appear
/// only here, at the end, so that every input stays exactly revisable.
/// </summary>
public static class AovStatistics
{
    public static CohortStats Describe(CohortSums sums, EngagementTables? tables = null, AovAggregatorOptions? options = null)
    {
        var n = sums.ExposedSessions;
        return new CohortStats(
            sums,
            ConversionRate: n > 0 ? (double)sums.ConvertedSessions / n : null,
            AovPerOrder: sums.Orders > 0 ? sums.Revenue / sums.Orders : null,
            RevenuePerSession: n > 0 ? sums.Revenue / n : null,
            RevenuePerSessionStdDev: n >= 2 ? Math.Sqrt(SampleVariance(n, sums.Revenue, sums.RevenueSquares)) : null,
            CrossSellAttachRate: n > 0 ? (double)sums.CrossSellSessions / n : null,
            CrossSellRevenuePerSession: n > 0 ? sums.CrossSellRevenue / n : null,
            Engagement: Engagement(sums, tables, options ?? new AovAggregatorOptions()));
    }

    /// <summary>
    /// Click-through per position, acceptance per add-on and click-through per model version (each table bounded to its
    /// option's top by impressions, then one "other" row).
    /// </summary>
    public static EngagementStats Engagement(CohortSums sums, EngagementTables? tables, AovAggregatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var e = sums.Engagement;
        var positions = Enumerable.Range(1, SessionEngagement.Positions)
            .Select(p => new PositionStats(p, e.ImpressionsAt(p), e.ClicksAt(p), Ratio(e.ClicksAt(p), e.ImpressionsAt(p)))).ToArray();
        var shown = positions.Sum(p => p.Impressions);
        var (addOns, otherAddOns, otherSkus) = tables?.AddOns.Top(options.MaxAddOns) ?? ([], default, 0);
        var (models, otherModels, otherVersions) = tables?.Models.Top(options.MaxModelVersions) ?? ([], default, 0);
        return new EngagementStats(
            e,
            ImpressedSessionShare: Ratio(e.ImpressedSessions, sums.ExposedSessions),
            ClickThrough: Ratio(e.Clicks, shown),
            positions,
            addOns.Select(s => AddOn(s.Key, s.Sums)).ToArray(),
            otherSkus > 0 ? AddOn(OtherAddOnsSku, otherAddOns) : null,
            otherSkus,
            models.Select(m => Model(m.Key, m.Sums)).ToArray(),
            otherVersions > 0 ? Model(OtherModelsVersion, otherModels) : null,
            otherVersions);

        static AddOnStats AddOn(string sku, AddOnSums s) => new(sku, s.Impressions, s.Clicks, s.OrderedLines, Ratio(s.Clicks, s.Impressions));
        static ModelStats Model(string version, ModelSums s) => new(version, s.Impressions, s.AddOnsShown, s.Clicks, Ratio(s.Clicks, s.AddOnsShown));
        static double? Ratio(long part, long whole) => whole > 0 ? (double)part / whole : null;
    }

    /// <summary>The sku of the row that sums every add-on beyond the published top.</summary>
    public const string OtherAddOnsSku = "(other)";

    /// <summary>The version of the row that sums every model version beyond the published top.</summary>
    public const string OtherModelsVersion = "(other)";

    /// <summary>
    /// Welch's unequal-variance t procedure on revenue per session, treatment minus holdout, with the
    /// Welch–Satterthwaite degrees of freedom; the lift interval is the delta-method interval of the ratio of means.
    /// Given the cohorts' <see cref="VisitorSums"/>, a cohort where some visitor has several sessions gets the
    /// cluster-robust variance of its mean instead (visitors are the unit of assignment; docs/experiments.md), with
    /// its visitors less one as its degrees of freedom; a cohort of one session per visitor gets Welch's, to the bit.
    /// </summary>
    public static AovComparison Compare(CohortSums treatment, CohortSums holdout, double confidenceLevel,
        VisitorSums? treatmentVisitors = null, VisitorSums? holdoutVisitors = null)
    {
        ValidateConfidence(confidenceLevel);
        var nt = treatment.ExposedSessions;
        var nh = holdout.ExposedSessions;
        if (nt < 1 || nh < 1)
        {
            return Undefined(confidenceLevel, null);
        }

        var meanT = treatment.Revenue / nt;
        var meanH = holdout.Revenue / nh;
        var diff = (double)(meanT - meanH);
        if (MeanVariance(treatment, treatmentVisitors) is not { } t || MeanVariance(holdout, holdoutVisitors) is not { } h)
        {
            return Undefined(confidenceLevel, diff);
        }

        var (a, freeT) = t;
        var (b, freeH) = h;

        var variance = a + b;
        if (!(variance > 0))
        {
            // Both cohorts constant: no spread, no test. The difference itself is still exact.
            return Undefined(confidenceLevel, diff);
        }

        var se = Math.Sqrt(variance);
        var df = variance * variance / (a * a / freeT + b * b / freeH);
        var tStatistic = diff / se;
        var pValue = StudentT.TwoSidedPValue(tStatistic, df);
        var q = StudentT.Quantile(1 - (1 - confidenceLevel) / 2, df);
        var ci = new ConfidenceInterval(diff - q * se, diff + q * se);

        double? lift = null;
        ConfidenceInterval? liftCi = null;
        if (meanH > 0)
        {
            var mh = (double)meanH;
            var mt = (double)meanT;
            lift = diff / mh * 100;
            // Delta method for mt/mh: Var ≈ a/mh² + mt²·b/mh⁴ (the two cohorts are independent).
            var seRatio = Math.Sqrt(a / (mh * mh) + mt * mt * b / (mh * mh * mh * mh));
            var ratio = mt / mh;
            liftCi = new ConfidenceInterval((ratio - 1 - q * seRatio) * 100, (ratio - 1 + q * seRatio) * 100);
        }

        return new AovComparison(confidenceLevel, diff, ci, lift, liftCi, se, df, tStatistic, pValue, pValue < 1 - confidenceLevel);
    }

    /// <summary>
    /// Pearson chi-square goodness of fit, 1 df, of the holdout/treatment counts against the configured share: of the
    /// visitors when both cohorts' are given (visitors are what is assigned, so they are the independent draws; the
    /// sessions of returning visitors come in clumps, and a test on sessions alarms too often), else of the sessions.
    /// </summary>
    public static SampleRatioCheck CheckSampleRatio(long treatmentSessions, long holdoutSessions, double expectedHoldoutShare, double threshold,
        long? treatmentVisitors = null, long? holdoutVisitors = null)
    {
        if (treatmentVisitors is { } tv && holdoutVisitors is { } hv)
        {
            return CheckSampleRatio(tv, hv, expectedHoldoutShare, threshold) with
            {
                TreatmentSessions = treatmentSessions, HoldoutSessions = holdoutSessions, TreatmentVisitors = tv, HoldoutVisitors = hv,
            };
        }

        if (!(expectedHoldoutShare > 0 && expectedHoldoutShare < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(expectedHoldoutShare), expectedHoldoutShare, "The holdout share must lie strictly between 0 and 1.");
        }

        var total = treatmentSessions + holdoutSessions;
        if (total == 0)
        {
            return new SampleRatioCheck(0, 0, expectedHoldoutShare, null, 0, 1, threshold, false);
        }

        var expectedHoldout = total * expectedHoldoutShare;
        var expectedTreatment = total * (1 - expectedHoldoutShare);
        var dh = holdoutSessions - expectedHoldout;
        var dt = treatmentSessions - expectedTreatment;
        var chiSquare = dh * dh / expectedHoldout + dt * dt / expectedTreatment;
        var pValue = ChiSquare.UpperTail(chiSquare, 1);
        return new SampleRatioCheck(
            treatmentSessions,
            holdoutSessions,
            expectedHoldoutShare,
            (double)holdoutSessions / total,
            chiSquare,
            pValue,
            threshold,
            pValue < threshold);
    }

    /// <summary>Acceptors versus non-acceptors within treatment: the figure a holdout exists to replace.</summary>
    public static NaiveAcceptanceComparison Naive(CohortSums treatment)
    {
        var accepted = treatment.CrossSellSessions;
        var notAccepted = treatment.NotAcceptedSessions;
        decimal? acceptedRps = accepted > 0 ? treatment.AcceptedRevenue / accepted : null;
        decimal? notAcceptedRps = notAccepted > 0 ? treatment.NotAcceptedRevenue / notAccepted : null;
        decimal? acceptedAov = treatment.CrossSellOrders > 0 ? treatment.AcceptedRevenue / treatment.CrossSellOrders : null;
        decimal? notAcceptedAov = treatment.NotAcceptedOrders > 0 ? treatment.NotAcceptedRevenue / treatment.NotAcceptedOrders : null;
        return new NaiveAcceptanceComparison(
            accepted,
            notAccepted,
            acceptedRps,
            notAcceptedRps,
            acceptedRps - notAcceptedRps,
            acceptedAov,
            notAcceptedAov,
            acceptedAov - notAcceptedAov);
    }

    /// <summary>
    /// Unbiased sample variance from n, Σx and Σx². The centring is done in decimal (28 digits), where the usual
    /// cancellation of Σx² - (Σx)²/n cannot hurt; Σx·(Σx/n) ≤ Σx² bounds the product, so it cannot overflow.
    /// </summary>
    public static double SampleVariance(long n, decimal sum, decimal sumOfSquares)
    {
        if (n < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "A sample variance needs at least two observations.");
        }

        var centred = sumOfSquares - sum * (sum / n);
        return centred <= 0 ? 0 : (double)centred / (n - 1);
    }

    /// <summary>
    /// The variance of a cohort's revenue per session and its degrees of freedom; null when it cannot be estimated
    /// (fewer than two sessions, or every session of one visitor). With every visitor's sessions counted once each
    /// (no <paramref name="visitors"/>, or as many visitors as sessions) it is Welch's s²/n with n − 1. Otherwise the
    /// cluster-robust (sandwich) variance of the ratio Σrevenue / Σsessions over the G visitors,
    /// G / (G − 1) · Σ_v (R_v − m·N_v)² / N², expanded into the exact sums (Σ R_v² − 2m Σ R_v N_v + m² Σ N_v²) and
    /// centred in decimal, with G − 1 degrees of freedom: a visitor who spends in every session, or in none, moves
    /// the mean by more than independent sessions would, and the interval widens accordingly.
    /// </summary>
    internal static (double Variance, double DegreesOfFreedom)? MeanVariance(CohortSums sums, VisitorSums? visitors)
    {
        var n = sums.ExposedSessions;
        if (n < 2)
        {
            return null;
        }

        if (visitors is not { } v || v.Visitors >= n)
        {
            return (SampleVariance(n, sums.Revenue, sums.RevenueSquares) / n, n - 1);
        }

        var g = v.Visitors;
        if (g < 2)
        {
            return null;
        }

        var mean = sums.Revenue / n;
        var centred = v.RevenueSquares - 2 * mean * v.RevenueTimesSessions + mean * mean * v.SessionSquares;
        var variance = centred <= 0 ? 0 : (double)centred / ((double)n * n) * g / (g - 1);
        return (variance, g - 1);
    }

    private static AovComparison Undefined(double confidenceLevel, double? diff) =>
        new(confidenceLevel, diff, null, null, null, null, null, null, null, false);

    internal static void ValidateConfidence(double confidenceLevel)
    {
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "The confidence level must lie strictly between 0 and 1.");
        }
    }
}
