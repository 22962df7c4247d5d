using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Outcomes;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Web.Dashboard;

/// <summary><c>aov-aggregates</c> replicated in memory (the latest record per key), for the dashboard.</summary>
public sealed class ExperimentFeed(WebServiceOptions options, ILoggerFactory loggers)
    : TableFeed<AovAggregateRecord>(new GlobalTable<AovAggregateRecord>(Topics.AovAggregates, OutcomesTopology.AggregateCodec, options.Kafka, loggers),
        loggers.CreateLogger<ExperimentFeed>())
{
    public IReadOnlyList<AovAggregateRecord> Records => Table.Entries.Select(e => e.Value).ToList();
}

/// <summary>One experiment as the index lists it.</summary>
public sealed record ExperimentSummary(string ExperimentId, string Salt, long Sessions, DateTimeOffset ComputedAt);

/// <summary>
/// The figures of one window, exactly as <c>aov-aggregates</c> published them, plus the cumulative estimate up to the
/// window's end (hour windows: the exact sums of every window so far, compared with <see cref="AovStatistics.Compare"/>).
/// </summary>
public sealed record WindowFigures(
    string Window, DateTimeOffset Start, DateTimeOffset End,
    long TreatmentSessions, long HoldoutSessions, long TreatmentOrders, long HoldoutOrders,
    decimal? TreatmentRevenuePerSession, decimal? HoldoutRevenuePerSession,
    double? IncrementalRevenuePerSession, double? IncrementalLower, double? IncrementalUpper,
    double? LiftPercent, double? LiftLower, double? LiftUpper, double? PValue, bool Significant,
    double SrmPValue, bool SrmMismatch, double ExpectedHoldoutShare, double? ObservedHoldoutShare,
    double? TreatmentAttachRate, decimal? TreatmentCrossSellRevenuePerSession,
    long NaiveAcceptedSessions, long NaiveNotAcceptedSessions, decimal? NaiveRevenuePerSessionDifference,
    long CumulativeSessions, double? CumulativeIncremental, double? CumulativeLower, double? CumulativeUpper,
    long TreatmentImpressions, long HoldoutImpressions, long TreatmentClicks, long TreatmentWidgetAdds, double? ClickThrough,
    double? ClickThroughPosition1, double? ClickThroughPosition2, double? ClickThroughPosition3)
{
    /// <summary>Add-ons the treatment's impressions showed (all positions): what <see cref="ClickThrough"/> divides by.</summary>
    public long TreatmentAddOnsShown { get; init; }

    /// <summary>
    /// Visitors per cohort, when the record counts them: then the sample-ratio check (observed share, p-value) is of
    /// the visitors, not of the sessions.
    /// </summary>
    public long? TreatmentVisitors { get; init; }
    public long? HoldoutVisitors { get; init; }
}

/// <summary>
/// Everything the dashboard shows, and what its CSV and JSON exports hold. <see cref="AddOns"/> is the running total's
/// acceptance per add-on in treatment (the most shown, as published) and <see cref="OtherAddOns"/> the rest summed;
/// <see cref="Models"/> and <see cref="OtherModels"/> the same for click-through per model version.
/// </summary>
public sealed record ExperimentFigures(
    string ExperimentId, string Salt, double ConfidenceLevel, DateTimeOffset ComputedAt,
    WindowFigures? Total, IReadOnlyList<WindowFigures> Hours, IReadOnlyList<WindowFigures> Days, string NaiveLabel,
    IReadOnlyList<AovAddOn> AddOns, AovAddOn? OtherAddOns, IReadOnlyList<AovModel> Models, AovModel? OtherModels)
{
    /// <summary>
    /// The level of the windows' own intervals and test, as the aggregator published them (<c>Experiment</c> options):
    /// <see cref="ConfidenceLevel"/> (<c>Web:ConfidenceLevel</c>) is only the cumulative intervals'.
    /// </summary>
    public double WindowConfidenceLevel { get; init; } = 0.95;

    /// <summary>
    /// The figures of <paramref name="experimentId"/> (the salt of its latest record unless <paramref name="salt"/> is given);
    /// null when <c>aov-aggregates</c> has nothing for it.
    /// </summary>
    public static ExperimentFigures? From(IEnumerable<AovAggregateRecord> records, string experimentId, string? salt, double confidenceLevel)
    {
        var mine = records.Where(r => r.ExperimentId == experimentId).ToList();
        if (mine.Count == 0) return null;
        salt ??= mine.MaxBy(r => r.ComputedAt)!.Salt;
        mine = mine.Where(r => r.Salt == salt).ToList();
        if (mine.Count == 0) return null;
        var total = mine.Where(r => r.Window == AggregateWindow.Total).MaxBy(r => r.ComputedAt);
        var latest = total ?? mine.MaxBy(r => r.ComputedAt)!;
        return new ExperimentFigures(experimentId, salt, confidenceLevel, mine.Max(r => r.ComputedAt),
            total is null ? null : Figures(total, Sums(total.Treatment), Sums(total.Holdout), confidenceLevel,
                AovAggregateMapping.VisitorSumsOf(total.Treatment), AovAggregateMapping.VisitorSumsOf(total.Holdout)),
            Series(mine, AggregateWindow.Hour, confidenceLevel), Series(mine, AggregateWindow.Day, confidenceLevel), NaiveAcceptanceComparison.BiasLabel,
            total?.Treatment.Engagement?.AddOns ?? [], total?.Treatment.Engagement?.OtherAddOns,
            total?.Treatment.Engagement?.Models ?? [], total?.Treatment.Engagement?.OtherModels)
        {
            WindowConfidenceLevel = latest.Comparison.ConfidenceLevel,
        };
    }

    public static IReadOnlyList<ExperimentSummary> List(IEnumerable<AovAggregateRecord> records) =>
        records.Where(r => r.Window == AggregateWindow.Total)
            .GroupBy(r => (r.ExperimentId, r.Salt))
            .Select(g => g.MaxBy(r => r.ComputedAt)!)
            .Select(r => new ExperimentSummary(r.ExperimentId, r.Salt, r.Treatment.ExposedSessions + r.Holdout.ExposedSessions, r.ComputedAt))
            .OrderByDescending(s => s.ComputedAt).ToList();

    /// <summary>
    /// The windows of one kind in time order, each with the cumulative estimate over every window up to it: the
    /// windows' session sums added up, with the visitor sums to date the window's record carries (every visitor once,
    /// however many windows they came back in). Where a record has none (written by an older aggregator, or unknown
    /// after a late revision) the windows' own visitor sums are added up instead, which counts a visitor seen in two
    /// windows as two; where a record has no visitor sums at all, sessions count as independent from there on.
    /// </summary>
    private static List<WindowFigures> Series(IEnumerable<AovAggregateRecord> records, AggregateWindow kind, double confidenceLevel)
    {
        var (treatment, holdout) = (CohortSums.Empty, CohortSums.Empty);
        VisitorSums? treatmentVisitors = default(VisitorSums), holdoutVisitors = default(VisitorSums);
        var series = new List<WindowFigures>();
        foreach (var r in records.Where(r => r.Window == kind).OrderBy(r => r.WindowStart))
        {
            treatment += Sums(r.Treatment);
            holdout += Sums(r.Holdout);
            treatmentVisitors = treatmentVisitors + AovAggregateMapping.VisitorSumsOf(r.Treatment);
            holdoutVisitors = holdoutVisitors + AovAggregateMapping.VisitorSumsOf(r.Holdout);
            series.Add(Figures(r, treatment, holdout, confidenceLevel,
                AovAggregateMapping.VisitorSumsToDateOf(r.Treatment) ?? treatmentVisitors, AovAggregateMapping.VisitorSumsToDateOf(r.Holdout) ?? holdoutVisitors));
        }
        return series;
    }

    private static WindowFigures Figures(AovAggregateRecord r, CohortSums treatmentSoFar, CohortSums holdoutSoFar, double confidenceLevel,
        VisitorSums? treatmentVisitorsSoFar, VisitorSums? holdoutVisitorsSoFar)
    {
        var cumulative = AovStatistics.Compare(treatmentSoFar, holdoutSoFar, confidenceLevel, treatmentVisitorsSoFar, holdoutVisitorsSoFar);
        var c = r.Comparison;
        return new WindowFigures(
            r.Window.ToString().ToLowerInvariant(), r.WindowStart, r.WindowEnd,
            r.Treatment.ExposedSessions, r.Holdout.ExposedSessions, r.Treatment.Orders, r.Holdout.Orders,
            r.Treatment.RevenuePerSession, r.Holdout.RevenuePerSession,
            c.IncrementalRevenuePerSession, c.IncrementalRevenuePerSessionCi?.Lower, c.IncrementalRevenuePerSessionCi?.Upper,
            c.LiftPercent, c.LiftPercentCi?.Lower, c.LiftPercentCi?.Upper, c.PValue, c.Significant,
            r.Srm.PValue, r.Srm.Mismatch, r.Srm.ExpectedHoldoutShare, r.Srm.ObservedHoldoutShare,
            r.Treatment.CrossSellAttachRate, r.Treatment.CrossSellRevenuePerSession,
            r.Naive.AcceptedSessions, r.Naive.NotAcceptedSessions, r.Naive.RevenuePerSessionDifference,
            treatmentSoFar.ExposedSessions + holdoutSoFar.ExposedSessions,
            Finite(cumulative.IncrementalRevenuePerSession), Finite(cumulative.IncrementalRevenuePerSessionCi?.Lower), Finite(cumulative.IncrementalRevenuePerSessionCi?.Upper),
            r.Treatment.Engagement?.Impressions ?? 0, r.Holdout.Engagement?.Impressions ?? 0, r.Treatment.Engagement?.Clicks ?? 0,
            r.Treatment.Engagement?.WidgetAdds ?? 0, r.Treatment.Engagement?.ClickThrough,
            ClickThroughAt(r.Treatment, 1), ClickThroughAt(r.Treatment, 2), ClickThroughAt(r.Treatment, 3))
        {
            TreatmentAddOnsShown = r.Treatment.Engagement?.Positions.Sum(p => p.Impressions) ?? 0,
            TreatmentVisitors = r.Srm.TreatmentVisitors,
            HoldoutVisitors = r.Srm.HoldoutVisitors,
        };
    }

    private static double? ClickThroughAt(AovCohort c, int position) => c.Engagement?.Positions.FirstOrDefault(p => p.Position == position)?.ClickThrough;

    /// <summary>The exact sums a published cohort carries (the aggregator publishes them so consumers can merge windows).</summary>
    public static CohortSums Sums(AovCohort c) => AovAggregateMapping.SumsOf(c);

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
}
