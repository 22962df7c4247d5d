using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// The holdout measurement on Streamiz (docs/experiments.md): one topology group, <c>outcomes</c>, of three
/// sub-topologies joined by two explicit repartitions, as Kafka Streams would build it:
/// <list type="number">
/// <item><b>session-cart-splitter</b>, <b>session-order-splitter</b> and <b>session-impression-splitter</b> re-key cart
/// views and one-click adds from the widget (<c>cart-events</c>, keyed by cart), completed orders with a session id
/// (<c>order-events</c>, keyed by order) and the module's impressions with a session id (<c>cross-sell-impressions</c>,
/// keyed by cart) by session id into <c>{app}-outcomes-session-events-repartition</c>, so everything about one session
/// meets in one partition. Orders and impressions without a session id (backfill, offline orders) are not part of the
/// experiment and are skipped.</item>
/// <item><b>session-outcomes</b> keeps session windows (Streamiz 1.8.2 has none) as a processor over the store
/// <c>session-windows</c> (<see cref="SessionWindowsProcessor"/>) and sends each session's current outcome, as an
/// upsert keyed by experiment id, to <c>{app}-outcomes-session-outcomes-repartition</c>.</item>
/// <item><b>aov-aggregator</b> keeps the current outcome of every session in the store <c>aov-sessions</c>, exact
/// cohort sums per window derived from it, and publishes every touched window, once per commit interval, to
/// <c>aov-aggregates</c> (<see cref="AovWindowsProcessor"/>).</item>
/// </list>
/// At-least-once without double counting: the session logs carry the input offsets they applied, and outcomes travel
/// as upserts of a table, so whatever a crash makes the group send again replaces what it sent before.
/// </summary>
public static class OutcomesTopology
{
    /// <summary>Dead-letter kind of an event too late for its session window (beyond gap + grace).</summary>
    public const string LateEvent = "late-event";
    /// <summary>Dead-letter kind of an outcome the sums cannot take (a second holdout share for one experiment).</summary>
    public const string InconsistentOutcome = "inconsistent-outcome";
    /// <summary>
    /// Dead-letter kind of a session event its session's log cannot take: the log holds <c>Experiment:MaxSessionEvents</c>
    /// events already, or would grow above <c>Streams:MaxStateRecordBytes</c>.
    /// </summary>
    public const string SessionTooLarge = "session-too-large";

    public static readonly JsonContractCodec<SessionEvent> SessionEventCodec = new(OutcomesJson.Default.SessionEvent, SessionEvent.Validate);
    public static readonly JsonContractCodec<OutcomeUpsert> UpsertCodec = new(OutcomesJson.Default.OutcomeUpsert, ValidateUpsert);
    public static readonly JsonContractCodec<AovAggregateRecord> AggregateCodec = new(ContractsJson.Default.AovAggregateRecord);
    /// <summary>How a session's log is encoded in the store <c>session-windows</c> and its changelog.</summary>
    public static readonly JsonContractCodec<SessionLog> SessionLogCodec = new(OutcomesJson.Default.SessionLog);

    public static string SessionEventsTopic(StreamsOptions streams) =>
        TopicNames.Repartition(StreamApplication.ApplicationIdOf(streams, TopologyNames.Outcomes), TopologyNames.SessionEventsRepartition);

    public static string SessionOutcomesTopic(StreamsOptions streams) =>
        TopicNames.Repartition(StreamApplication.ApplicationIdOf(streams, TopologyNames.Outcomes), TopologyNames.SessionOutcomesRepartition);

    /// <param name="clock">Wall clock that moves quiet partitions' stream time and stamps the aggregates (tests pass their own).</param>
    public static TopologyGroup Build(StreamsOptions streams, ExperimentOptions experiment, AovAggregatorOptions? aggregates = null,
        ILoggerFactory? loggers = null, StreamsMetrics? metrics = null, TimeProvider? clock = null)
    {
        experiment.Validate();
        aggregates ??= new AovAggregatorOptions();
        var sessionEvents = SessionEventsTopic(streams);
        var sessionOutcomes = SessionOutcomesTopic(streams);
        var cartSplitter = ProcessorRuntime.For(TopologyNames.SessionCartSplitter, streams, loggers, clock, metrics);
        var orderSplitter = ProcessorRuntime.For(TopologyNames.SessionOrderSplitter, streams, loggers, clock, metrics);
        var impressionSplitter = ProcessorRuntime.For(TopologyNames.SessionImpressionSplitter, streams, loggers, clock, metrics);
        var sessions = ProcessorRuntime.For(TopologyNames.SessionOutcomes, streams, loggers, clock, metrics);
        var aggregator = ProcessorRuntime.For(TopologyNames.AovAggregator, streams, loggers, clock, metrics);
        // Sessions close and aggregates publish once per commit interval, as the numbers would at each commit.
        var every = streams.CommitInterval;
        var builder = new StreamBuilder();

        builder.Stream(Topics.CartEvents, new StringSerDes(), new ByteArraySerDes(), "outcomes-cart-events-source")
            .Transform(Processors.Supplier(() => new CartSessionSplitter(cartSplitter, sessionEvents, experiment.MaxEventAge, experiment.Grace)), TopologyNames.SessionCartSplitter)
            .ToRoutedTopics(TopologyNames.SessionCartSplitter + "-sink");
        builder.Stream(Topics.OrderEvents, new StringSerDes(), new ByteArraySerDes(), "outcomes-order-events-source")
            .Transform(Processors.Supplier(() => new OrderSplitter(orderSplitter, sessionEvents, experiment.MaxEventAge, experiment.Grace)), TopologyNames.SessionOrderSplitter)
            .ToRoutedTopics(TopologyNames.SessionOrderSplitter + "-sink");
        builder.Stream(Topics.CrossSellImpressions, new StringSerDes(), new ByteArraySerDes(), "outcomes-impressions-source")
            .Transform(Processors.Supplier(() => new ImpressionSplitter(impressionSplitter, sessionEvents, experiment.MaxEventAge, experiment.Grace)), TopologyNames.SessionImpressionSplitter)
            .ToRoutedTopics(TopologyNames.SessionImpressionSplitter + "-sink");

        builder.AddStateStore(StateStores.KeyValue(TopologyNames.SessionClockStore, new JsonContractCodec<SessionClock>(OutcomesJson.Default.SessionClock), streams));
        builder.AddStateStore(CommitCounter.Builder(TopologyNames.SessionCommitsStore));
        builder.Stream(sessionEvents, new StringSerDes(), new ByteArraySerDes(), "session-events-source")
            .Transform(Processors.Supplier(() => new SessionWindowsProcessor(sessions, experiment, every, sessionOutcomes),
                    StateStores.KeyValue(TopologyNames.SessionWindowsStore, SessionLogCodec, streams, cached: true)),
                TopologyNames.SessionOutcomes, TopologyNames.SessionClockStore, TopologyNames.SessionCommitsStore)
            .ToRoutedTopics(TopologyNames.SessionOutcomes + "-sink");

        builder.Stream(sessionOutcomes, new StringSerDes(), new ByteArraySerDes(), "session-outcomes-source")
            .Transform(Processors.Supplier(() => new AovWindowsProcessor(aggregator, aggregates, every, VisitorRetention(experiment)),
                    StateStores.KeyValue(TopologyNames.AovSessionsStore, new JsonContractCodec<SessionOutcome>(OutcomesJson.Default.SessionOutcome), streams, cached: true)),
                TopologyNames.AovAggregator)
            .ToRoutedTopics(TopologyNames.AovAggregator + "-sink");

        return new TopologyGroup(TopologyNames.Outcomes, builder.Build(),
            [Topics.CartEvents, Topics.OrderEvents, Topics.CrossSellImpressions, sessionEvents, sessionOutcomes], [sessionEvents, sessionOutcomes, Topics.AovAggregates]);
    }

    /// <summary>
    /// How long after the newest exposure the aggregator keeps an hour or day window's per-visitor table: a session is
    /// revised only by late events within gap + grace of its end, and a day more covers sessions that run long (a later
    /// revision still counts, with that window's sessions then taken as independent in its comparison).
    /// </summary>
    internal static TimeSpan VisitorRetention(ExperimentOptions experiment) => experiment.InactivityGap + experiment.Grace + TimeSpan.FromDays(1);

    private static IReadOnlyList<string> ValidateUpsert(OutcomeUpsert upsert)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(upsert.ExperimentId)) errors.Add("experimentId is required");
        if (string.IsNullOrWhiteSpace(upsert.SessionKey)) errors.Add("sessionKey is required");
        if (upsert.Outcome is { } o && (o.SessionKey != upsert.SessionKey || o.ExperimentId != upsert.ExperimentId))
            errors.Add("the outcome's sessionKey and experimentId must be the record's");
        // The aggregator keeps the outcome and sums it at every restart: engagement it cannot sum would fail it each time.
        if (upsert.Outcome is { } outcome)
        {
            if (outcome.Engagement is not { } e) errors.Add("the outcome's engagement is required");
            else
            {
                if (e.PositionImpressions is not { Count: SessionEngagement.Positions } || e.PositionClicks is not { Count: SessionEngagement.Positions }
                    || !SummableAddOns(e.AddOns))
                    errors.Add($"the outcome's engagement needs {SessionEngagement.Positions} position impressions and clicks and a list of add-ons, each sku once, with counts not below zero");
                if (!SummableModels(e.Models))
                    errors.Add("the outcome's engagement needs a list of model versions, each once, with counts not below zero and no more clicks than add-ons shown");
            }
        }
        return errors;
    }

    // Likewise for the add-on table: a negative count, or a sku twice, would fail its sums.
    private static bool SummableAddOns(IReadOnlyList<AddOnEngagement>? addOns) =>
        addOns is not null
        && addOns.All(a => a is not null && !string.IsNullOrEmpty(a.Sku) && a.Impressions >= 0 && a.Clicks >= 0 && a.OrderedLines >= 0)
        && addOns.Select(a => a.Sku).Distinct(StringComparer.Ordinal).Count() == addOns.Count;

    // A negative count would take the model table below zero when added, so the aggregator would fail on the stored outcome.
    private static bool SummableModels(IReadOnlyList<ModelEngagement>? models) =>
        models is not null
        && models.All(m => m is not null && !string.IsNullOrEmpty(m.ModelVersion) && m.Impressions >= 0 && m.AddOnsShown >= 0 && m.Clicks >= 0 && m.Clicks <= m.AddOnsShown)
        && models.Select(m => m.ModelVersion).Distinct(StringComparer.Ordinal).Count() == models.Count;

    /// <summary>A record's coordinates as a session event carries them (<see cref="SessionEvent.Origin"/>).</summary>
    private static string Origin(RecordCoordinates at) => $"{at.Topic}/{at.Partition}@{at.Offset}";

    /// <summary>
    /// Cart views (the exposure trigger of both cohorts) and one-click adds from the widget (the clicks of the
    /// engagement figures), re-keyed by session. Other cart events are not needed here (nor dead-lettered here: the
    /// recommender dead-letters them). Both carry their <c>eventId</c>, so the session's log can tell the same event
    /// published twice from a second one.
    /// </summary>
    private sealed class CartSessionSplitter(ProcessorRuntime runtime, string sessionEvents, TimeSpan maxAge, TimeSpan maxAhead) : RecordProcessor<CartEvent>(runtime, ContractCodecs.CartEvent)
    {
        protected override void Process(InputRecord<CartEvent> record)
        {
            var e = record.Value;
            var widgetAdd = e.Type == CartEventType.ItemAdded && e.Source == EventSources.CrossSellWidget;
            if (e.Type != CartEventType.CartViewed && !widgetAdd) return;
            // The recommender does not apply an event keyed by another cart, so it exposed or added nothing: not counted either.
            if (!KeyedBy(record.Key, e.CartId, "cartId")) return;
            if (!PlausibleTime(e.Timestamp, maxAge, maxAhead)) return;
            var value = widgetAdd
                ? new SessionEvent
                {
                    Kind = SessionEvent.WidgetAdd, SessionId = e.SessionId, VisitorId = e.VisitorId, CartId = e.CartId, EventId = e.EventId, Sku = e.Sku,
                    Timestamp = e.Timestamp, Origin = Origin(record.Coordinates),
                }
                : new SessionEvent
                {
                    Kind = SessionEvent.CartViewed, SessionId = e.SessionId, VisitorId = e.VisitorId, CartId = e.CartId, EventId = e.EventId, Timestamp = e.Timestamp,
                    Origin = Origin(record.Coordinates),
                };
            Send(sessionEvents, e.SessionId, SessionEventCodec.Encode(value), record.Coordinates.Timestamp);
        }
    }

    /// <summary>
    /// The module's impressions, re-keyed by session so they meet the session's views, adds and orders. The topic can be
    /// written by anyone: a record that does not decode or breaks the contract is dead-lettered by the base class.
    /// </summary>
    private sealed class ImpressionSplitter(ProcessorRuntime runtime, string sessionEvents, TimeSpan maxAge, TimeSpan maxAhead)
        : RecordProcessor<CrossSellImpression>(runtime, ContractCodecs.CrossSellImpression)
    {
        protected override void Process(InputRecord<CrossSellImpression> record)
        {
            var i = record.Value;
            if (string.IsNullOrWhiteSpace(i.SessionId)) return; // no session: it cannot meet an exposure, outside the experiment
            if (!PlausibleTime(i.Timestamp, maxAge, maxAhead)) return;
            var value = new SessionEvent
            {
                Kind = SessionEvent.ImpressionShown, SessionId = i.SessionId, VisitorId = i.VisitorId, CartId = i.CartId, ValueVersion = i.ValueVersion,
                Skus = i.Skus, ModelVersion = i.ModelVersion, Timestamp = i.Timestamp, Origin = Origin(record.Coordinates),
            };
            Send(sessionEvents, i.SessionId, SessionEventCodec.Encode(value), record.Coordinates.Timestamp);
        }
    }

    /// <summary>Completed orders of a session, re-keyed by session; lines from the widget keep their source (accepted cross-sells).</summary>
    private sealed class OrderSplitter(ProcessorRuntime runtime, string sessionEvents, TimeSpan maxAge, TimeSpan maxAhead) : RecordProcessor<OrderCompleted>(runtime, ContractCodecs.OrderCompleted)
    {
        protected override void Process(InputRecord<OrderCompleted> record)
        {
            var o = record.Value;
            if (string.IsNullOrWhiteSpace(o.SessionId)) return; // not a storefront session: outside the experiment
            if (!KeyedBy(record.Key, o.OrderId, "orderId")) return; // as the learner: the order is not counted anywhere
            if (!PlausibleTime(o.Timestamp, maxAge, maxAhead)) return;
            var value = new SessionEvent
            {
                Kind = SessionEvent.OrderCompleted, SessionId = o.SessionId, VisitorId = o.VisitorId, CartId = o.CartId, OrderId = o.OrderId,
                Timestamp = o.Timestamp, Origin = Origin(record.Coordinates),
                Lines = o.Lines.Select(l => new SessionEventLine(l.Sku, l.Quantity, l.UnitPrice, l.Source)).ToArray(),
            };
            Send(sessionEvents, o.SessionId, SessionEventCodec.Encode(value), record.Coordinates.Timestamp);
        }
    }
}
