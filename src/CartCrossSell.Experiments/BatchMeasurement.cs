namespace CartCrossSell.Experiments;

/// <summary>
/// The experiment measured in one pass over recorded events, as an analyst would recompute it from an export: every
/// event in event-time order through one <see cref="SessionOutcomeProcessor"/>, every session closed at the end, every
/// outcome into one <see cref="AovAggregator"/>. The streaming topology must publish exactly these sums.
/// </summary>
public static class BatchMeasurement
{
    /// <param name="closeAt">Stream time the sessions are closed at (anything past the last event + gap + grace closes all).</param>
    public static AovAggregator Measure(IEnumerable<ExperimentEvent> events, ExperimentConfig experiment, SessionWindowOptions windows,
        DateTimeOffset closeAt, AovAggregatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var processor = new SessionOutcomeProcessor(experiment, windows);
        var aggregator = new AovAggregator(options);
        foreach (var e in events.OrderBy(e => e.Timestamp)) aggregator.ApplyAll(processor.Process(e).Changes, closeAt);
        aggregator.ApplyAll(processor.AdvanceTo(closeAt), closeAt);
        return aggregator;
    }

    /// <summary>The running-total sums of both cohorts.</summary>
    public static (CohortSums Treatment, CohortSums Holdout) Totals(IEnumerable<ExperimentEvent> events, ExperimentConfig experiment,
        SessionWindowOptions windows, DateTimeOffset closeAt) =>
        Measure(events, experiment, windows, closeAt)
            .SumsOf(new AggregateKey(experiment.ExperimentId, experiment.Salt, WindowKind.Total, AggregateKey.TotalKeyStart))
        ?? (CohortSums.Empty, CohortSums.Empty);
}
