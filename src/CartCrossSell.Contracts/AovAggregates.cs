using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>The window an aggregate covers: a tumbling UTC hour or day of the exposure, or the running total.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AggregateWindow>))]
public enum AggregateWindow
{
    [JsonStringEnumMemberName("hour")] Hour,
    [JsonStringEnumMemberName("day")] Day,
    [JsonStringEnumMemberName("total")] Total,
}

/// <summary>
/// The holdout measurement of one window (topic <c>aov-aggregates</c>, compacted, schema
/// <c>schemas/aov-aggregate.schema.json</c>), keyed by <see cref="KeyOf"/>, so the topic keeps the latest figure per
/// window; a late event republishes its window. The exact sums are included, so consumers can merge windows.
/// Definitions: <c>docs/experiments.md</c>.
/// </summary>
public sealed record AovAggregateRecord
{
    public int SchemaVersion { get; set; } = 1;
    public required string ExperimentId { get; init; }
    public required string Salt { get; init; }
    public required AggregateWindow Window { get; init; }
    /// <summary>Hour/day: the window's start. Total: the first exposure seen.</summary>
    public required DateTimeOffset WindowStart { get; init; }
    /// <summary>Hour/day: the exclusive end. Total: <see cref="ComputedAt"/>.</summary>
    public required DateTimeOffset WindowEnd { get; init; }
    public required AovCohort Treatment { get; init; }
    public required AovCohort Holdout { get; init; }
    public required AovComparison Comparison { get; init; }
    public required AovSampleRatio Srm { get; init; }
    public required AovNaiveComparison Naive { get; init; }
    public required DateTimeOffset ComputedAt { get; init; }

    /// <summary>
    /// The record key: <c>{experimentId}|{salt}|{hour|day|total}|{window start, UTC, ISO 8601}</c>; the total window
    /// is keyed at the Unix epoch. A new salt is a new experiment and gets its own keys.
    /// </summary>
    public static string KeyOf(string experimentId, string salt, AggregateWindow window, DateTimeOffset keyStart) =>
        $"{experimentId}|{salt}|{window.ToString().ToLowerInvariant()}|{keyStart.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
}

/// <summary>One cohort of one window: exact sums (counts, decimal money) and the metrics derived from them (null when undefined).</summary>
public sealed record AovCohort
{
    public required long ExposedSessions { get; init; }
    public required long ConvertedSessions { get; init; }
    public required long Orders { get; init; }
    public required decimal Revenue { get; init; }
    /// <summary>Σ revenue² per session: with the count and the sum, the variance of revenue per session.</summary>
    public required decimal RevenueSquares { get; init; }
    public required long CrossSellSessions { get; init; }
    public required long CrossSellOrders { get; init; }
    public required long CrossSellLines { get; init; }
    public required decimal CrossSellRevenue { get; init; }
    public required decimal AcceptedRevenue { get; init; }
    public required decimal AcceptedRevenueSquares { get; init; }
    public double? ConversionRate { get; init; }
    public decimal? AovPerOrder { get; init; }
    public decimal? RevenuePerSession { get; init; }
    public double? RevenuePerSessionStdDev { get; init; }
    public double? CrossSellAttachRate { get; init; }
    public decimal? CrossSellRevenuePerSession { get; init; }
    /// <summary>What the module showed this cohort and what was taken from it; absent in records written before impressions were joined.</summary>
    public AovEngagement? Engagement { get; init; }
    /// <summary>
    /// The sums over the cohort's visitors (the unit of assignment) that the comparison's variance is computed with;
    /// absent in records written before 2026-12-02, whose comparison counted every session as its own visitor.
    /// </summary>
    public AovVisitors? Visitors { get; init; }
    /// <summary>
    /// Hour and day windows: the same sums over every session of the experiment from its first window to this window's
    /// end, each visitor once, so the comparison to date allows for visitors who came back in another window. Absent
    /// in the running total (its <see cref="Visitors"/> are to date), in records written by earlier versions of the
    /// aggregator, and in a cohort where a session was revised after its window's visitors were forgotten.
    /// </summary>
    public AovVisitors? VisitorsToDate { get; init; }
}

/// <summary>
/// Sums over the visitors of one cohort and window of their sessions' totals (docs/experiments.md, "Sessions of one
/// visitor"): exact, and additive over disjoint sets of visitors only (a visitor in two hours is one visitor of the day).
/// </summary>
public sealed record AovVisitors
{
    /// <summary>Visitors with at least one exposed session in the window.</summary>
    public required long Visitors { get; init; }
    /// <summary>Σ over visitors of (their sessions' revenue)².</summary>
    public required decimal RevenueSquares { get; init; }
    /// <summary>Σ over visitors of their revenue × their sessions.</summary>
    public required decimal RevenueTimesSessions { get; init; }
    /// <summary>Σ over visitors of (their sessions)².</summary>
    public required long SessionSquares { get; init; }
}

/// <summary>
/// Impressions, click-through per position, acceptance per add-on and click-through per model version of one cohort
/// (docs/experiments.md, "Engagement"): exact counts, and the rates derived from them (absent while undefined).
/// Bounded: at most the configured number of add-ons (and of model versions), the most shown, and one "other" row for the rest.
/// </summary>
public sealed record AovEngagement
{
    /// <summary>Distinct cart value versions shown in the cohort's exposed sessions.</summary>
    public required long Impressions { get; init; }
    public required long ImpressedSessions { get; init; }
    /// <summary>One-click adds from the widget in those sessions, credited to a showing or not.</summary>
    public required long WidgetAdds { get; init; }
    /// <summary>Widget adds credited to a shown position (each showing at most once).</summary>
    public required long Clicks { get; init; }
    public double? ImpressedSessionShare { get; init; }
    /// <summary>Clicks over add-ons shown (all positions).</summary>
    public double? ClickThrough { get; init; }
    /// <summary>Positions 1 to 3, in order.</summary>
    public required IReadOnlyList<AovPosition> Positions { get; init; }
    /// <summary>The most shown add-ons, most impressions first.</summary>
    public required IReadOnlyList<AovAddOn> AddOns { get; init; }
    /// <summary>The sum of every add-on beyond <see cref="AddOns"/> (sku <c>(other)</c>); absent when there are none.</summary>
    public AovAddOn? OtherAddOns { get; init; }
    public required int OtherAddOnSkus { get; init; }
    /// <summary>
    /// The model versions with the most impressions, most first; empty in records written before the split. Set, not
    /// init, so a record without it reads empty rather than null (dotnet/runtime#84484).
    /// </summary>
    public IReadOnlyList<AovModel> Models { get; set; } = [];
    /// <summary>The sum of every model version beyond <see cref="Models"/> (version <c>(other)</c>); absent when there are none.</summary>
    public AovModel? OtherModels { get; init; }
    public int OtherModelVersions { get; init; }
}

/// <summary>One model version (or the heuristic's strategy): what it ranked and the clicks credited to what it showed.</summary>
public sealed record AovModel
{
    public required string ModelVersion { get; init; }
    /// <summary>Impressions (cart value versions) this version ranked.</summary>
    public required long Impressions { get; init; }
    /// <summary>Add-ons those impressions showed (their position impressions).</summary>
    public required long AddOnsShown { get; init; }
    /// <summary>Clicks credited to those showings.</summary>
    public required long Clicks { get; init; }
    /// <summary>Clicks over add-ons shown, as the cohort's click-through.</summary>
    public double? ClickThrough { get; init; }
}

public sealed record AovPosition
{
    public required int Position { get; init; }
    public required long Impressions { get; init; }
    public required long Clicks { get; init; }
    public double? ClickThrough { get; init; }
}

public sealed record AovAddOn
{
    public required string Sku { get; init; }
    public required long Impressions { get; init; }
    public required long Clicks { get; init; }
    public required long OrderedLines { get; init; }
    /// <summary>Clicks over impressions of this add-on.</summary>
    public double? Acceptance { get; init; }
}

/// <summary>Treatment minus holdout on revenue per exposed session (Welch); null while undefined.</summary>
public sealed record AovComparison
{
    public required double ConfidenceLevel { get; init; }
    public double? IncrementalRevenuePerSession { get; init; }
    public AovInterval? IncrementalRevenuePerSessionCi { get; init; }
    public double? LiftPercent { get; init; }
    public AovInterval? LiftPercentCi { get; init; }
    public double? StandardError { get; init; }
    public double? DegreesOfFreedom { get; init; }
    public double? TStatistic { get; init; }
    public double? PValue { get; init; }
    public required bool Significant { get; init; }
}

public sealed record AovInterval(double Lower, double Upper);

/// <summary>Chi-square check of the observed split against the configured holdout share; <see cref="Mismatch"/> flags the window.</summary>
public sealed record AovSampleRatio
{
    public required long TreatmentSessions { get; init; }
    public required long HoldoutSessions { get; init; }
    public required double ExpectedHoldoutShare { get; init; }
    public double? ObservedHoldoutShare { get; init; }
    public required double ChiSquare { get; init; }
    public required double PValue { get; init; }
    public required double Threshold { get; init; }
    public required bool Mismatch { get; init; }
    /// <summary>
    /// Visitors per cohort: when present (records since 2026-12-02), the observed share, chi-square and p-value are of
    /// the visitors, the unit of assignment; absent, of the sessions.
    /// </summary>
    public long? TreatmentVisitors { get; init; }
    public long? HoldoutVisitors { get; init; }
}

/// <summary>Within treatment, acceptors versus non-acceptors: always <see cref="Biased"/>, shown only beside the holdout figure.</summary>
public sealed record AovNaiveComparison
{
    public required long AcceptedSessions { get; init; }
    public required long NotAcceptedSessions { get; init; }
    public decimal? AcceptedRevenuePerSession { get; init; }
    public decimal? NotAcceptedRevenuePerSession { get; init; }
    public decimal? RevenuePerSessionDifference { get; init; }
    public decimal? AcceptedAovPerOrder { get; init; }
    public decimal? NotAcceptedAovPerOrder { get; init; }
    public decimal? AovPerOrderDifference { get; init; }
    public required bool Biased { get; init; }
    public required string Label { get; init; }
}
