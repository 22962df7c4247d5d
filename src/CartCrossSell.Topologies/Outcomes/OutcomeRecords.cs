using System.Text.Json.Serialization;
using CartCrossSell.Experiments;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// Internal repartition record (<c>{app}-session-events-repartition</c>, keyed by session id): a cart view or a
/// completed order of one session, with the coordinates of the event it came from.
/// </summary>
public sealed record SessionEvent
{
    public const string CartViewed = "cartViewed";
    public const string OrderCompleted = "orderCompleted";

    public required string Kind { get; init; }
    public required string SessionId { get; init; }
    public string? VisitorId { get; init; }
    public string? CartId { get; init; }
    public string? OrderId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public IReadOnlyList<SessionEventLine>? Lines { get; init; }

    /// <summary>What is wrong with the record, if anything (a producer other than the splitters may write the topic).</summary>
    public static IReadOnlyList<string> Validate(SessionEvent e)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(e.SessionId)) errors.Add("sessionId is required");
        switch (e.Kind)
        {
            case CartViewed:
                break;
            case OrderCompleted:
                if (string.IsNullOrWhiteSpace(e.OrderId)) errors.Add("orderId is required for an orderCompleted session event");
                if (e.Lines is not { Count: > 0 }) errors.Add("lines are required for an orderCompleted session event");
                else
                    for (var i = 0; i < e.Lines.Count; i++)
                    {
                        if (e.Lines[i] is null) errors.Add($"lines[{i}] is null");
                        else if (e.Lines[i].Quantity <= 0 || e.Lines[i].UnitPrice < 0)
                            errors.Add($"lines[{i}] needs a positive quantity and a non-negative unit price");
                    }
                break;
            default:
                errors.Add($"kind must be '{CartViewed}' or '{OrderCompleted}', was '{e.Kind}'");
                break;
        }
        return errors;
    }

    public ExperimentEvent ToExperimentEvent() => Kind == CartViewed
        ? new CartViewedEvent(SessionId, VisitorId, Timestamp)
        : new OrderCompletedEvent(SessionId, VisitorId, Timestamp, OrderId!,
            Lines!.Select(l => new ExperimentOrderLine(l.Sku, l.Quantity, l.UnitPrice, l.Source)).ToArray());
}

public sealed record SessionEventLine(string Sku, int Quantity, decimal UnitPrice, string Source);

/// <summary>
/// Store <c>session-windows</c>, keyed by session id: every event the session windows accepted for this session,
/// in arrival order with the stream time before it. Replaying these logs (in arrival order) into a fresh
/// <see cref="SessionOutcomeProcessor"/> rebuilds exactly the windows the processor held, so a restart loses nothing.
/// A log is deleted once stream time passes its last event + 2 gaps + grace (the processor has forgotten it by then).
/// </summary>
public sealed record SessionLog
{
    public required string SessionId { get; init; }
    public required List<LoggedSessionEvent> Events { get; init; }

    [JsonIgnore]
    public DateTimeOffset LastEventTime => Events.Max(e => e.Event.Timestamp);
}

public sealed record LoggedSessionEvent(long Arrival, DateTimeOffset? StreamTimeBefore, SessionEvent Event);

/// <summary>Store <c>session-clock</c>, one entry per partition: stream time and the next sequence numbers.</summary>
public sealed record SessionClock
{
    public const string Key = "clock";

    public DateTimeOffset? StreamTime { get; init; }
    /// <summary>Sequence number of the next outcome change (per input partition; the aggregator de-duplicates by it).</summary>
    public long NextSequence { get; init; }
    /// <summary>Arrival number of the next logged event (orders the logs on rebuild).</summary>
    public long NextArrival { get; init; }
}

/// <summary>
/// Store <c>session-outbox</c>, keyed by sequence number: an outcome change waiting to be sent. A change is sent at
/// the commit after the one that logged it, so whatever is sent is already in the changelog: a replay after a crash
/// resends the same changes with the same numbers, never different ones.
/// </summary>
public sealed record OutboxEntry(long Sequence, SessionOutcomeChange Change);

/// <summary>
/// Internal repartition record (<c>{app}-session-outcomes-repartition</c>, keyed by experiment id): one outcome change,
/// numbered per session-outcomes partition so the aggregator applies each exactly once.
/// </summary>
public sealed record OutcomeChangeMessage(int SourcePartition, long Sequence, SessionOutcomeChange Change);

/// <summary>Store <c>aov-windows</c>, keyed like the published aggregate: the exact sums of one window.</summary>
public sealed record AovWindowState
{
    public required string ExperimentId { get; init; }
    public required string Salt { get; init; }
    public required WindowKind Window { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    public required double HoldoutShare { get; init; }
    public required CohortSums Treatment { get; init; }
    public required CohortSums Holdout { get; init; }
    public DateTimeOffset? FirstExposure { get; init; }

    [JsonIgnore]
    public AggregateKey Key => new(ExperimentId, Salt, Window, WindowStart);
}

/// <summary>Store <c>aov-progress</c>, keyed by session-outcomes partition: the highest change sequence applied from it.</summary>
public sealed record AovProgress(int SourcePartition, long AppliedThrough);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(SessionLog))]
[JsonSerializable(typeof(SessionClock))]
[JsonSerializable(typeof(OutboxEntry))]
[JsonSerializable(typeof(OutcomeChangeMessage))]
[JsonSerializable(typeof(AovWindowState))]
[JsonSerializable(typeof(AovProgress))]
internal sealed partial class OutcomesJson : JsonSerializerContext;
