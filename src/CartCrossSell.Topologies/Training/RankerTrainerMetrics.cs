using Prometheus;

namespace CartCrossSell.Topologies.Training;

/// <summary>The in-stream trainer's metrics: trainings by outcome and reason, the last training's duration, the sample's size.</summary>
public sealed class RankerTrainerMetrics
{
    private readonly Counter _trainings;
    private readonly Gauge _seconds, _sample;

    public RankerTrainerMetrics(CollectorRegistry registry)
    {
        var f = Metrics.WithCustomRegistry(registry);
        _trainings = f.CreateCounter("cartxsell_ranker_trainings_total",
            "In-stream trainings by outcome (promoted, refused, no-model) and reason (no-model-in-service, not-worse, worse, superseded, too-large, too-few-orders, failed)",
            "outcome", "reason");
        _seconds = f.CreateGauge("cartxsell_ranker_training_seconds", "Duration of the last in-stream training, from its start to its outcome");
        _sample = f.CreateGauge("cartxsell_ranker_sample_orders", "Orders in the ranker trainer's sample");
    }

    public void Trained(ModelPublication publication, TimeSpan took)
    {
        _trainings.WithLabels(Label(publication.Kind), publication.Reason).Inc();
        _seconds.Set(took.TotalSeconds);
    }

    public long Count(PublicationKind kind, string reason) => (long)_trainings.WithLabels(Label(kind), reason).Value;

    public void SampleSize(int orders) => _sample.Set(orders);

    private static string Label(PublicationKind kind) => kind switch
    {
        PublicationKind.Promoted => "promoted",
        PublicationKind.Refused => "refused",
        _ => "no-model",
    };
}
