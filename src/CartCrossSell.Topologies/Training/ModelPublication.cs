using System.Globalization;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Training;

/// <summary>What becomes of one training's outcome.</summary>
public enum PublicationKind
{
    /// <summary>Not worse than the model in service (than the heuristic, while none serves): published under <c>serving</c>.</summary>
    Promoted,
    /// <summary>A model that may not serve (worse, or too large for a record): published under <c>candidate</c> if at all.</summary>
    Refused,
    /// <summary>No model: too few orders, or the training failed.</summary>
    NoModel,
}

/// <summary>
/// The decision on one training's outcome, and the model as published: the trainer's model with what identifies this
/// training (generation, training orders and seconds, publication time) added to its metrics, so its version, a hash
/// of its content, is new for every training.
/// </summary>
/// <param name="Reason">A metric label: <c>no-model-in-service</c>, <c>not-worse</c>, <c>worse</c>, <c>superseded</c>, <c>too-large</c>, <c>too-few-orders</c>, <c>failed</c>.</param>
public sealed record ModelPublication(PublicationKind Kind, string Reason, string Detail, RankingModel? Model, byte[]? Bytes)
{
    /// <summary>The key of <c>ranking-models</c> a refused model is published under (never served).</summary>
    public const string CandidateKey = "candidate";

    /// <summary>Metric of a model's generation: one more than the model in service's (0 for none or one published by hand).</summary>
    public const string Generation = "generation";

    public string? Key => Kind switch
    {
        PublicationKind.Promoted => ModelTable.ServingKey,
        PublicationKind.Refused when Model is not null => CandidateKey,
        _ => null,
    };

    /// <param name="inService">The model in service the training was judged against.</param>
    /// <param name="servingNow">The model in service now: if another one took its place while the training ran (published by hand), the judgement no longer holds.</param>
    public static ModelPublication Decide(TrainingOutcome outcome, RankingModel? inService, RankingModel? servingNow, DateTimeOffset now,
        int maxBytes = ModelTable.MaxModelBytes)
    {
        if (outcome.Model is not { } trained || outcome.Report is not { } report)
            return new ModelPublication(PublicationKind.NoModel, outcome.TooFewOrders ? "too-few-orders" : "failed", outcome.Failure ?? "no model", null, null);
        var generation = (inService?.Metrics.GetValueOrDefault(Generation) ?? 0) + 1;
        var metrics = new Dictionary<string, double>(trained.Metrics)
        {
            [Generation] = generation,
            ["training_orders"] = outcome.Orders,
            ["training_seconds"] = Math.Round(outcome.Elapsed.TotalSeconds, 1),
            ["published_at_unix_ms"] = now.ToUnixTimeMilliseconds(),
            ["promotion_candidate_ratio"] = report.Promotion.Candidate,
            ["promotion_in_service_ratio"] = report.Promotion.InService,
        };
        if (report.Promotion.StandardError is { } error) metrics["promotion_standard_error"] = error;
        var model = trained.WithMetrics(metrics);
        var bytes = model.ToBytes();
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{model.Version} (generation {generation:0}, {outcome.Orders} orders, {outcome.Elapsed.TotalSeconds:F1} s, {bytes.Length:N0} bytes, " +
            $"validation HR@3 {report.ValidationHitRateAt3LastAdded:0.000} last added / {report.ValidationHitRateAt3Random:0.000} random item, " +
            $"{report.RatioToBestBaseline(HoldoutProtocol.LastAdded):0.00} / {report.RatioToBestBaseline(HoldoutProtocol.RandomItem):0.00} x the best baseline): {report.Promotion.Reason}");
        if (bytes.Length > maxBytes)
            return new ModelPublication(PublicationKind.Refused, "too-large", $"{detail}; larger than the {maxBytes:N0} bytes a record holds", null, null);
        if (!report.Promotion.Promote) return new ModelPublication(PublicationKind.Refused, "worse", detail, model, bytes);
        if (servingNow?.Version != inService?.Version)
            return new ModelPublication(PublicationKind.Refused, "superseded", $"{detail}; {servingNow?.Version ?? "no model"} took the place of {inService?.Version ?? "no model"} meanwhile", model, bytes);
        return new ModelPublication(PublicationKind.Promoted, inService is null ? "no-model-in-service" : "not-worse", detail, model, bytes);
    }
}
