using System.Text.Json.Serialization;
using CartCrossSell.Experiments;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// Internal repartition record (<c>{app}-session-events-repartition</c>, keyed by session id): a cart view, a
/// completed order, an impression of the cart-page module or a one-click add from it, of one session.
/// </summary>
public sealed record SessionEvent
{
    public const string CartViewed = "cartViewed";
    public const string OrderCompleted = "orderCompleted";
    public const string ImpressionShown = "impressionShown";
    public const string WidgetAdd = "widgetAdd";

    public required string Kind { get; init; }
    public required string SessionId { get; init; }
    public string? VisitorId { get; init; }
    public string? CartId { get; init; }
    /// <summary>
    /// The cart event's id (views and widget adds; absent in view records written before it was added): the same event
    /// published twice counts once.
    /// </summary>
    public string? EventId { get; init; }
    public string? OrderId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public IReadOnlyList<SessionEventLine>? Lines { get; init; }
    /// <summary>Widget add: the sku added.</summary>
    public string? Sku { get; init; }
    /// <summary>Impression: the version of the cart's value shown.</summary>
    public long? ValueVersion { get; init; }
    /// <summary>Impression: the skus shown, position 1 first.</summary>
    public IReadOnlyList<string>? Skus { get; init; }
    /// <summary>Impression: what ranked the list.</summary>
    public string? ModelVersion { get; init; }
    /// <summary>
    /// Where the splitter read it (<c>topic/partition@offset</c> of the cart event, order or impression; absent in records
    /// written before it was added): a dead letter of the session windows names the original record, not the repartition copy.
    /// </summary>
    public string? Origin { get; init; }

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
            case ImpressionShown:
                if (string.IsNullOrWhiteSpace(e.CartId)) errors.Add("cartId is required for an impressionShown session event");
                if (e.ValueVersion is null) errors.Add("valueVersion is required for an impressionShown session event");
                if (e.Skus is not { Count: > 0 and <= SessionEngagement.Positions } || e.Skus.Any(string.IsNullOrWhiteSpace))
                    errors.Add($"skus (1 to {SessionEngagement.Positions}, none blank) are required for an impressionShown session event");
                else if (e.Skus.Distinct(StringComparer.Ordinal).Count() != e.Skus.Count) errors.Add("skus must be distinct");
                break;
            case WidgetAdd:
                if (string.IsNullOrWhiteSpace(e.EventId)) errors.Add("eventId is required for a widgetAdd session event");
                if (string.IsNullOrWhiteSpace(e.Sku)) errors.Add("sku is required for a widgetAdd session event");
                break;
            default:
                errors.Add($"kind must be '{CartViewed}', '{OrderCompleted}', '{ImpressionShown}' or '{WidgetAdd}', was '{e.Kind}'");
                break;
        }
        return errors;
    }

    public ExperimentEvent ToExperimentEvent() => Kind switch
    {
        CartViewed => new CartViewedEvent(SessionId, VisitorId, Timestamp),
        ImpressionShown => new ImpressionShownEvent(SessionId, VisitorId, Timestamp, CartId!, ValueVersion!.Value, Skus!, ModelVersion ?? ""),
        WidgetAdd => new WidgetAddEvent(SessionId, VisitorId, Timestamp, EventId!, Sku!),
        _ => new OrderCompletedEvent(SessionId, VisitorId, Timestamp, OrderId!,
            Lines!.Select(l => new ExperimentOrderLine(l.Sku, l.Quantity, l.UnitPrice, l.Source)).ToArray()),
    };
}

public sealed record SessionEventLine(string Sku, int Quantity, decimal UnitPrice, string Source);

/// <summary>
/// Store <c>session-windows</c>, keyed by session id: every event the session windows accepted for this session, with
/// its offset on the session-events partition and the stream time before it. Replaying the logs of a partition in
/// offset order into a fresh <see cref="SessionOutcomeProcessor"/> rebuilds exactly the windows the processor held,
/// so a restart loses nothing; the offsets also tell a replayed input record from a new one. A log is deleted once
/// stream time passes its last event + 2 gaps + grace (the processor has forgotten it by then) and two commits have
/// passed since, so the outcome it produced is in Kafka before its log goes.
/// </summary>
public sealed record SessionLog
{
    public required string SessionId { get; init; }
    public required List<LoggedSessionEvent> Events { get; init; }

    [JsonIgnore]
    public DateTimeOffset LastEventTime => Events.Max(e => e.Event.Timestamp);

    /// <summary>
    /// True when the log holds this event already, published again at another offset: the same order id, or a view with
    /// the same cart <c>eventId</c>. The log is the session's memory of ids, bounded by the session's life and kept in
    /// the record the event would be applied to, so a crash cannot keep the id without the event or the other way round.
    /// </summary>
    public bool Holds(SessionEvent e) => Events.Any(logged => logged.Event.Kind == e.Kind && e.Kind switch
    {
        SessionEvent.OrderCompleted => logged.Event.OrderId == e.OrderId,
        _ => e.EventId is not null && logged.Event.EventId == e.EventId,
    });

    /// <summary>The highest input offset this log holds: input at or below it was applied before (a replay).</summary>
    [JsonIgnore]
    public long LastOffset => Events.Max(e => e.Offset);

    /// <summary>
    /// At least as many bytes as this log takes encoded (<see cref="OutcomesTopology.SessionLogCodec"/>), without
    /// encoding it: every character counted as the six bytes of a <c>\uXXXX</c> escape, every number and name at its
    /// longest. The session windows check each event against <c>Streams:MaxStateRecordBytes</c> with this, and encode only
    /// a log this puts above it.
    /// </summary>
    public long EncodedBytesAtMost()
    {
        var bytes = 64 + EncodedBound.Text(SessionId);
        foreach (var logged in Events)
        {
            var e = logged.Event;
            bytes += 512 + EncodedBound.Text(e.Kind) + EncodedBound.Text(e.SessionId) + EncodedBound.Text(e.VisitorId) + EncodedBound.Text(e.CartId)
                + EncodedBound.Text(e.EventId) + EncodedBound.Text(e.OrderId) + EncodedBound.Text(e.Sku) + EncodedBound.Text(e.ModelVersion)
                + EncodedBound.Text(e.Origin);
            foreach (var line in e.Lines ?? []) bytes += 128 + EncodedBound.Text(line?.Sku) + EncodedBound.Text(line?.Source);
            foreach (var sku in e.Skus ?? []) bytes += 4 + EncodedBound.Text(sku);
        }
        return bytes;
    }
}

public sealed record LoggedSessionEvent(long Offset, DateTimeOffset? StreamTimeBefore, SessionEvent Event);

/// <summary>Store <c>session-clock</c>, one entry per partition: the stream time the wall clock moved the partition to.</summary>
public sealed record SessionClock
{
    public const string Key = "clock";

    public DateTimeOffset? StreamTime { get; init; }
}

/// <summary>
/// Internal repartition record (<c>{app}-session-outcomes-repartition</c>, keyed by experiment id): the current outcome
/// of one session, or null when the session was absorbed into another. An upsert, like a table's changelog: applying
/// it twice, or an older one followed by a newer one, ends in the same state, so a replay after a crash cannot count
/// a session twice.
/// </summary>
public sealed record OutcomeUpsert(string ExperimentId, string SessionKey, SessionOutcome? Outcome);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(SessionLog))]
[JsonSerializable(typeof(SessionClock))]
[JsonSerializable(typeof(OutcomeUpsert))]
[JsonSerializable(typeof(SessionOutcome))]
internal sealed partial class OutcomesJson : JsonSerializerContext;
