namespace CartCrossSell.Experiments;

public enum WindowKind
{
    /// <summary>Tumbling UTC hour of the exposure.</summary>
    Hour,

    /// <summary>Tumbling UTC day of the exposure.</summary>
    Day,

    /// <summary>Running totals since the experiment started.</summary>
    Total,
}

/// <summary>
/// The record the topology publishes to the aov-aggregates topic, keyed by (experiment, salt, window kind, window start):
/// the holdout measurement of one window, recomputed from exact sums each time a session outcome lands in it.
/// </summary>
public sealed record AovAggregate(
    string ExperimentId,
    string Salt,
    WindowKind Window,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    CohortStats Treatment,
    CohortStats Holdout,
    AovComparison Comparison,
    SampleRatioCheck Srm,
    NaiveAcceptanceComparison Naive,
    DateTimeOffset ComputedAt);

/// <summary>One cohort's figures: the exact sums and the metrics derived from them (null when undefined, e.g. no sessions).</summary>
public sealed record CohortStats(
    CohortSums Sums,
    double? ConversionRate,
    decimal? AovPerOrder,
    decimal? RevenuePerSession,
    double? RevenuePerSessionStdDev,
    double? CrossSellAttachRate,
    decimal? CrossSellRevenuePerSession,
    EngagementStats? Engagement = null,
    VisitorSums? Visitors = null)
{
    /// <summary>
    /// Hour and day windows: the visitor sums of every session from the experiment's first window to this one's end,
    /// each visitor once (a window's own <see cref="Visitors"/> add up over windows only for disjoint visitors).
    /// </summary>
    public VisitorSums? VisitorsToDate { get; init; }
}

/// <summary>Click-through of one position: credited clicks over impressions that showed an add-on there (null before any).</summary>
public sealed record PositionStats(int Position, long Impressions, long Clicks, double? ClickThrough);

/// <summary>One add-on's acceptance: credited clicks over its impressions; <see cref="OrderedLines"/> are widget lines of it that were ordered.</summary>
public sealed record AddOnStats(string Sku, long Impressions, long Clicks, long OrderedLines, double? Acceptance);

/// <summary>
/// One model version's click-through: credited clicks over the add-ons its impressions showed (the overall
/// click-through's definition, restricted to what the version ranked), so versions compare on one footing.
/// </summary>
public sealed record ModelStats(string ModelVersion, long Impressions, long AddOnsShown, long Clicks, double? ClickThrough);

/// <summary>
/// What the module showed a cohort and what it took (docs/experiments.md, "Engagement"): per position, per add-on and
/// per model version; the add-ons bounded to the top <see cref="AovAggregatorOptions.MaxAddOns"/> by impressions plus
/// <see cref="Other"/>, the model versions to the top <see cref="AovAggregatorOptions.MaxModelVersions"/> plus <see cref="OtherModels"/>.
/// </summary>
public sealed record EngagementStats(
    EngagementSums Sums,
    double? ImpressedSessionShare,
    double? ClickThrough,
    IReadOnlyList<PositionStats> Positions,
    IReadOnlyList<AddOnStats> AddOns,
    AddOnStats? Other,
    int OtherSkus,
    IReadOnlyList<ModelStats> Models,
    ModelStats? OtherModels,
    int OtherModelVersions)
{
    // Value equality over the lists too, so an aggregate computed twice from equal sums compares equal (streaming = batch).
    public bool Equals(EngagementStats? other) =>
        other is not null && Sums == other.Sums && ImpressedSessionShare == other.ImpressedSessionShare && ClickThrough == other.ClickThrough
        && Positions.SequenceEqual(other.Positions) && AddOns.SequenceEqual(other.AddOns) && Other == other.Other && OtherSkus == other.OtherSkus
        && Models.SequenceEqual(other.Models) && OtherModels == other.OtherModels && OtherModelVersions == other.OtherModelVersions;

    public override int GetHashCode() => HashCode.Combine(Sums, AddOns.Count, OtherSkus, Models.Count, OtherModelVersions);
}

/// <summary>
/// Treatment versus holdout on revenue per exposed session: the true incremental figure. Every statistic is null
/// while it is undefined (fewer than two sessions in a cohort, zero variance, no holdout revenue for a lift).
/// </summary>
public sealed record AovComparison(
    double ConfidenceLevel,
    double? IncrementalRevenuePerSession,
    ConfidenceInterval? IncrementalRevenuePerSessionCi,
    double? LiftPercent,
    ConfidenceInterval? LiftPercentCi,
    double? StandardError,
    double? DegreesOfFreedom,
    double? TStatistic,
    double? PValue,
    bool Significant);

public sealed record ConfidenceInterval(double Lower, double Upper)
{
    public bool Contains(double value) => Lower <= value && value <= Upper;
}

/// <summary>
/// Chi-square goodness of fit (1 df) of the observed split against the configured one: of the visitors (the unit of
/// assignment) when <see cref="TreatmentVisitors"/> and <see cref="HoldoutVisitors"/> are known, else of the sessions.
/// </summary>
public sealed record SampleRatioCheck(
    long TreatmentSessions,
    long HoldoutSessions,
    double ExpectedHoldoutShare,
    double? ObservedHoldoutShare,
    double ChiSquare,
    double PValue,
    double Threshold,
    bool Mismatch,
    long? TreatmentVisitors = null,
    long? HoldoutVisitors = null);

/// <summary>
/// Within treatment: sessions that accepted a cross-sell versus sessions that did not. Shown beside the holdout
/// figure only to make its bias visible: acceptors self-select (high intent), so this difference mixes intent with
/// the widget's effect and is not an estimate of incremental revenue.
/// </summary>
public sealed record NaiveAcceptanceComparison(
    long AcceptedSessions,
    long NotAcceptedSessions,
    decimal? AcceptedRevenuePerSession,
    decimal? NotAcceptedRevenuePerSession,
    decimal? RevenuePerSessionDifference,
    decimal? AcceptedAovPerOrder,
    decimal? NotAcceptedAovPerOrder,
    decimal? AovPerOrderDifference)
{
    public const string BiasLabel =
        "biased: compares self-selected acceptors with non-acceptors; intent, not the widget, drives most of the gap. Use the holdout comparison.";

    public bool Biased => true;

    public string Label => BiasLabel;
}
