using CartCrossSell.Contracts;
using CartCrossSell.Experiments;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>The Experiments library's <see cref="AovAggregate"/> as the published <see cref="AovAggregateRecord"/> contract.</summary>
public static class AovAggregateMapping
{
    public static AggregateWindow ToContract(WindowKind window) => window switch
    {
        WindowKind.Hour => AggregateWindow.Hour,
        WindowKind.Day => AggregateWindow.Day,
        _ => AggregateWindow.Total,
    };

    /// <summary>The topic key of an aggregate key (the total window is keyed at the Unix epoch).</summary>
    public static string KeyOf(AggregateKey key) => AovAggregateRecord.KeyOf(key.ExperimentId, key.Salt, ToContract(key.Window), key.WindowStart);

    public static AovAggregateRecord ToContract(AovAggregate a) => new()
    {
        ExperimentId = a.ExperimentId,
        Salt = a.Salt,
        Window = ToContract(a.Window),
        WindowStart = a.WindowStart,
        WindowEnd = a.WindowEnd,
        Treatment = ToContract(a.Treatment),
        Holdout = ToContract(a.Holdout),
        Comparison = new Contracts.AovComparison
        {
            ConfidenceLevel = a.Comparison.ConfidenceLevel,
            IncrementalRevenuePerSession = Finite(a.Comparison.IncrementalRevenuePerSession),
            IncrementalRevenuePerSessionCi = ToContract(a.Comparison.IncrementalRevenuePerSessionCi),
            LiftPercent = Finite(a.Comparison.LiftPercent),
            LiftPercentCi = ToContract(a.Comparison.LiftPercentCi),
            StandardError = Finite(a.Comparison.StandardError),
            DegreesOfFreedom = Finite(a.Comparison.DegreesOfFreedom),
            TStatistic = Finite(a.Comparison.TStatistic),
            PValue = Finite(a.Comparison.PValue),
            Significant = a.Comparison.Significant,
        },
        Srm = new AovSampleRatio
        {
            TreatmentSessions = a.Srm.TreatmentSessions,
            HoldoutSessions = a.Srm.HoldoutSessions,
            ExpectedHoldoutShare = a.Srm.ExpectedHoldoutShare,
            ObservedHoldoutShare = Finite(a.Srm.ObservedHoldoutShare),
            ChiSquare = a.Srm.ChiSquare,
            PValue = a.Srm.PValue,
            Threshold = a.Srm.Threshold,
            TreatmentVisitors = a.Srm.TreatmentVisitors,
            HoldoutVisitors = a.Srm.HoldoutVisitors,
            Mismatch = a.Srm.Mismatch,
        },
        Naive = new AovNaiveComparison
        {
            AcceptedSessions = a.Naive.AcceptedSessions,
            NotAcceptedSessions = a.Naive.NotAcceptedSessions,
            AcceptedRevenuePerSession = a.Naive.AcceptedRevenuePerSession,
            NotAcceptedRevenuePerSession = a.Naive.NotAcceptedRevenuePerSession,
            RevenuePerSessionDifference = a.Naive.RevenuePerSessionDifference,
            AcceptedAovPerOrder = a.Naive.AcceptedAovPerOrder,
            NotAcceptedAovPerOrder = a.Naive.NotAcceptedAovPerOrder,
            AovPerOrderDifference = a.Naive.AovPerOrderDifference,
            Biased = a.Naive.Biased,
            Label = a.Naive.Label,
        },
        ComputedAt = a.ComputedAt,
    };

    private static AovCohort ToContract(CohortStats c) => new()
    {
        ExposedSessions = c.Sums.ExposedSessions,
        ConvertedSessions = c.Sums.ConvertedSessions,
        Orders = c.Sums.Orders,
        Revenue = c.Sums.Revenue,
        RevenueSquares = c.Sums.RevenueSquares,
        CrossSellSessions = c.Sums.CrossSellSessions,
        CrossSellOrders = c.Sums.CrossSellOrders,
        CrossSellLines = c.Sums.CrossSellLines,
        CrossSellRevenue = c.Sums.CrossSellRevenue,
        AcceptedRevenue = c.Sums.AcceptedRevenue,
        AcceptedRevenueSquares = c.Sums.AcceptedRevenueSquares,
        ConversionRate = Finite(c.ConversionRate),
        AovPerOrder = c.AovPerOrder,
        RevenuePerSession = c.RevenuePerSession,
        RevenuePerSessionStdDev = Finite(c.RevenuePerSessionStdDev),
        CrossSellAttachRate = Finite(c.CrossSellAttachRate),
        CrossSellRevenuePerSession = c.CrossSellRevenuePerSession,
        Engagement = c.Engagement is { } e ? ToContract(e) : null,
        Visitors = ToContract(c.Visitors),
        VisitorsToDate = ToContract(c.VisitorsToDate),
    };

    private static AovVisitors? ToContract(VisitorSums? sums) => sums is { } v
        ? new AovVisitors { Visitors = v.Visitors, RevenueSquares = v.RevenueSquares, RevenueTimesSessions = v.RevenueTimesSessions, SessionSquares = v.SessionSquares }
        : null;

    private static AovEngagement ToContract(EngagementStats e) => new()
    {
        Impressions = e.Sums.Impressions,
        ImpressedSessions = e.Sums.ImpressedSessions,
        WidgetAdds = e.Sums.WidgetAdds,
        Clicks = e.Sums.Clicks,
        ImpressedSessionShare = Finite(e.ImpressedSessionShare),
        ClickThrough = Finite(e.ClickThrough),
        Positions = e.Positions.Select(p => new AovPosition
            { Position = p.Position, Impressions = p.Impressions, Clicks = p.Clicks, ClickThrough = Finite(p.ClickThrough) }).ToArray(),
        AddOns = e.AddOns.Select(ToContract).ToArray(),
        OtherAddOns = e.Other is { } other ? ToContract(other) : null,
        OtherAddOnSkus = e.OtherSkus,
        Models = e.Models.Select(ToContract).ToArray(),
        OtherModels = e.OtherModels is { } otherModels ? ToContract(otherModels) : null,
        OtherModelVersions = e.OtherModelVersions,
    };

    private static AovAddOn ToContract(AddOnStats a) => new()
        { Sku = a.Sku, Impressions = a.Impressions, Clicks = a.Clicks, OrderedLines = a.OrderedLines, Acceptance = Finite(a.Acceptance) };

    private static AovModel ToContract(ModelStats m) => new()
        { ModelVersion = m.ModelVersion, Impressions = m.Impressions, AddOnsShown = m.AddOnsShown, Clicks = m.Clicks, ClickThrough = Finite(m.ClickThrough) };

    /// <summary>The sums of a published cohort, to merge windows or compare with a batch computation (engagement zero in older records).</summary>
    public static CohortSums SumsOf(AovCohort c) => new(c.ExposedSessions, c.ConvertedSessions, c.Orders, c.Revenue, c.RevenueSquares,
        c.CrossSellSessions, c.CrossSellOrders, c.CrossSellLines, c.CrossSellRevenue, c.AcceptedRevenue, c.AcceptedRevenueSquares,
        c.Engagement is { } e ? EngagementSumsOf(e) : default);

    /// <summary>The visitor sums of a published cohort (null in records written before they were published).</summary>
    public static VisitorSums? VisitorSumsOf(AovCohort c) => FromContract(c.Visitors);

    /// <summary>The visitor sums to date of a published hour or day cohort (null in the running total, in older records, and where unknown).</summary>
    public static VisitorSums? VisitorSumsToDateOf(AovCohort c) => FromContract(c.VisitorsToDate);

    private static VisitorSums? FromContract(AovVisitors? v) =>
        v is null ? null : new VisitorSums(v.Visitors, v.RevenueSquares, v.RevenueTimesSessions, v.SessionSquares);

    private static EngagementSums EngagementSumsOf(AovEngagement e)
    {
        long At(int position, bool clicks) => e.Positions.FirstOrDefault(p => p.Position == position) is { } p ? clicks ? p.Clicks : p.Impressions : 0;
        return new EngagementSums(e.Impressions, e.ImpressedSessions, e.WidgetAdds, e.Clicks,
            At(1, false), At(2, false), At(3, false), At(1, true), At(2, true), At(3, true));
    }

    private static AovInterval? ToContract(ConfidenceInterval? ci) =>
        ci is null || !double.IsFinite(ci.Lower) || !double.IsFinite(ci.Upper) ? null : new AovInterval(ci.Lower, ci.Upper);

    /// <summary>JSON has no NaN or infinity: an undefined statistic is left out.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
