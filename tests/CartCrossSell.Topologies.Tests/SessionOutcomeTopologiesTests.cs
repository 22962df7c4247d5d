using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.Topologies.Tests;

/// <summary>The outcomes topologies through the test driver: re-keying, session windows, exact sums, restart and replay.</summary>
public sealed class SessionOutcomeTopologiesTests
{
    private static readonly StreamsOptions Streams = new();
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentOptions Experiment = new()
    {
        ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = 0.3, InactivityGap = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(15),
        StreamTimeLag = TimeSpan.FromMinutes(5),
    };
    private static readonly string SessionEventsTopic = TopicNames.Repartition("cartxsell", TopologyNames.SessionEventsRepartition);
    private static readonly string OutcomesTopic = TopicNames.Repartition("cartxsell", TopologyNames.SessionOutcomesRepartition);

    private static SessionEvent View(string session, string? visitor, DateTimeOffset at) =>
        new() { Kind = SessionEvent.CartViewed, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, Timestamp = at };

    private static SessionEvent Order(string session, string? visitor, DateTimeOffset at, string orderId, params SessionEventLine[] lines) =>
        new() { Kind = SessionEvent.OrderCompleted, SessionId = session, VisitorId = visitor, OrderId = orderId, Timestamp = at, Lines = lines };

    /// <summary>A reproducible mix: both cohorts, sessions with and without orders, widget lines, repeat sessions, out-of-order arrival within grace.</summary>
    private static List<SessionEvent> Sessions(int count, int seed)
    {
        var rng = new Random(seed);
        var events = new List<SessionEvent>();
        for (var s = 0; s < count; s++)
        {
            var session = $"s{s}";
            var visitor = rng.Next(4) == 0 ? null : $"v{rng.Next(count / 2)}";
            var t = T0.AddMinutes(rng.Next(0, 300));
            if (rng.Next(5) != 0) events.Add(View(session, visitor, t));
            for (var o = rng.Next(0, 3); o > 0; o--)
            {
                t = t.AddMinutes(rng.Next(1, 20));
                events.Add(Order(session, visitor, t, $"o{s}-{o}",
                    new SessionEventLine("sku-a", rng.Next(1, 3), rng.Next(100, 9999) / 100m, "storefront"),
                    new SessionEventLine("sku-b", 1, rng.Next(100, 2999) / 100m, rng.Next(3) == 0 ? EventSources.CrossSellWidget : "storefront")));
            }
        }
        // Arrival order: event time plus up to ten minutes of delay (within grace), so nothing is late.
        return events.Select(e => (e, Arrives: e.Timestamp.AddSeconds(rng.Next(0, 600)))).OrderBy(x => x.Arrives).Select(x => x.e).ToList();
    }

    /// <summary>The batch path of the Experiments library: all events in event-time order, then every session closed.</summary>
    private static (CohortSums Treatment, CohortSums Holdout) Batch(IEnumerable<SessionEvent> events)
    {
        var processor = new SessionOutcomeProcessor(Experiment.Config, Experiment.Windows);
        var aggregator = new AovAggregator();
        foreach (var e in events.OrderBy(e => e.Timestamp)) aggregator.ApplyAll(processor.Process(e.ToExperimentEvent()).Changes, T0);
        aggregator.ApplyAll(processor.AdvanceTo(T0.AddDays(2)), T0);
        return aggregator.SumsOf(new AggregateKey(Experiment.ExperimentId, Experiment.Salt, WindowKind.Total, AggregateKey.TotalKeyStart))!.Value;
    }

    private static Dictionary<string, AovAggregateRecord> Latest(TopologyTestDriver<OutcomeChangeMessage> aggregator) =>
        aggregator.SentTo(Topics.AovAggregates)
            .GroupBy(r => r.Key).ToDictionary(g => g.Key, g => SessionOutcomeTopologies.AggregateCodec.Decode(g.Last().Value).Value!);

    private static void Forward(TopologyTestDriver<SessionEvent> sessions, TopologyTestDriver<OutcomeChangeMessage> aggregator, ref int forwarded)
    {
        var sent = sessions.SentTo(OutcomesTopic).ToList();
        for (; forwarded < sent.Count; forwarded++)
            aggregator.PipeRaw(sent[forwarded].Key, sent[forwarded].Value, sent[forwarded].Timestamp);
    }

    private static string TotalKey => AovAggregateRecord.KeyOf(Experiment.ExperimentId, Experiment.Salt, AggregateWindow.Total, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Cart_views_and_session_orders_are_re_keyed_by_session_and_other_events_are_not()
    {
        using var carts = new TopologyTestDriver<CartEvent>(SessionOutcomeTopologies.CartSplitter(Streams));
        using var orders = new TopologyTestDriver<OrderCompleted>(SessionOutcomeTopologies.OrderSplitter(Streams));

        carts.Pipe("cart-1", Store.Added("cart-1", "socks", 1, 12m));
        carts.Pipe("cart-1", Store.Added("cart-1", "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null, VisitorId = "v1" });
        orders.Pipe("o-1", new OrderCompleted
        {
            EventId = "e1", OrderId = "o-1", CartId = "cart-1", SessionId = "s-cart-1", VisitorId = "v1", Timestamp = T0,
            Lines = [new OrderLine { Sku = "socks", Quantity = 2, UnitPrice = 6m }, new OrderLine { Sku = "laces", Quantity = 1, UnitPrice = 3m, Source = EventSources.CrossSellWidget }],
        });
        orders.Pipe("o-2", new OrderCompleted { EventId = "e2", OrderId = "o-2", Timestamp = T0, Lines = [new OrderLine { Sku = "socks", Quantity = 1, UnitPrice = 6m }] });

        var view = Assert.Single(carts.SentTo(SessionEventsTopic));
        Assert.Equal("s-cart-1", view.Key);
        Assert.Equal(SessionEvent.CartViewed, SessionOutcomeTopologies_Decode(view).Kind);
        var order = Assert.Single(orders.SentTo(SessionEventsTopic)); // o-2 has no session: outside the experiment
        Assert.Equal("s-cart-1", order.Key);
        var decoded = SessionOutcomeTopologies_Decode(order);
        Assert.Equal("o-1", decoded.OrderId);
        Assert.Equal([EventSources.Storefront, EventSources.CrossSellWidget], decoded.Lines!.Select(l => l.Source));
    }

    private static SessionEvent SessionOutcomeTopologies_Decode(SentRecord record) =>
        System.Text.Json.JsonSerializer.Deserialize<SessionEvent>(record.Value, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;

    [Fact]
    public void The_published_total_equals_the_batch_computation_over_the_same_events_exactly()
    {
        var events = Sessions(300, seed: 7);
        var clock = new ManualClock(T0.AddDays(-1));
        using var sessions = new TopologyTestDriver<SessionEvent>(SessionOutcomeTopologies.SessionOutcomes(Streams, Experiment), clock);
        using var aggregator = new TopologyTestDriver<OutcomeChangeMessage>(SessionOutcomeTopologies.Aggregator(Streams), clock);
        var forwarded = 0;
        foreach (var e in events)
        {
            sessions.Pipe(e.SessionId, e, e.Timestamp);
            Forward(sessions, aggregator, ref forwarded);
        }
        // The partition goes quiet; the wall clock moves on and closes every session.
        clock.Now = T0.AddDays(1);
        sessions.Punctuate();
        sessions.Punctuate();
        Forward(sessions, aggregator, ref forwarded);

        var total = Latest(aggregator)[TotalKey];
        var (treatment, holdout) = Batch(events);
        Assert.Equal(treatment, AovAggregateMapping.SumsOf(total.Treatment));
        Assert.Equal(holdout, AovAggregateMapping.SumsOf(total.Holdout));
        Assert.True(holdout.ExposedSessions > 20 && treatment.ExposedSessions > 100, $"{holdout.ExposedSessions} / {treatment.ExposedSessions}");
        Assert.True(treatment.CrossSellLines > 0);
        Assert.Empty(sessions.DeadLetters);
        // Hour windows partition the total.
        var hours = Latest(aggregator).Values.Where(a => a.Window == AggregateWindow.Hour).ToList();
        Assert.True(hours.Count >= 5);
        Assert.Equal(treatment.ExposedSessions, hours.Sum(h => h.Treatment.ExposedSessions));
        Assert.Equal(holdout.Revenue, hours.Sum(h => h.Holdout.Revenue));
        Assert.All(Latest(aggregator).Values, a => Assert.True(a.Naive.Biased));
    }

    [Fact]
    public void A_restart_from_the_stores_and_a_replay_of_uncommitted_input_count_every_session_exactly_once()
    {
        var events = Sessions(200, seed: 11);
        var clock = new ManualClock(T0.AddDays(-1));
        var topology = SessionOutcomeTopologies.SessionOutcomes(Streams, Experiment);
        using var aggregator = new TopologyTestDriver<OutcomeChangeMessage>(SessionOutcomeTopologies.Aggregator(Streams), clock);
        var first = new TopologyTestDriver<SessionEvent>(topology, clock);
        var forwardedFirst = 0;
        var half = events.Count / 2;
        for (var i = 0; i < half; i++) first.Pipe(events[i].SessionId, events[i], events[i].Timestamp);
        Forward(first, aggregator, ref forwardedFirst);

        // The changelog as of this commit ...
        var snapshot = new[] { TopologyNames.SessionWindowsStore, TopologyNames.SessionOutboxStore, TopologyNames.SessionClockStore }
            .ToDictionary(n => n, n => n switch
            {
                // A copy, as the changelog holds it: the live log keeps growing.
                TopologyNames.SessionWindowsStore => first.Store<SessionLog>(n).All().Select(kv => (kv.Key, (object)(kv.Value with { Events = kv.Value.Events.ToList() }))).ToList(),
                TopologyNames.SessionOutboxStore => first.Store<OutboxEntry>(n).All().Select(kv => (kv.Key, (object)kv.Value)).ToList(),
                _ => first.Store<SessionClock>(n).All().Select(kv => (kv.Key, (object)kv.Value)).ToList(),
            });
        // ... then more input whose outputs reach the aggregator, then a crash before its state was logged.
        for (var i = half; i < half + 40; i++) first.Pipe(events[i].SessionId, events[i], events[i].Timestamp);
        Forward(first, aggregator, ref forwardedFirst);
        first.Dispose();

        // Restart: restored stores, and the input after the snapshot is replayed.
        using var second = new TopologyTestDriver<SessionEvent>(topology, clock);
        foreach (var (key, value) in snapshot[TopologyNames.SessionWindowsStore]) second.Store<SessionLog>(TopologyNames.SessionWindowsStore).Put(key, (SessionLog)value);
        foreach (var (key, value) in snapshot[TopologyNames.SessionOutboxStore]) second.Store<OutboxEntry>(TopologyNames.SessionOutboxStore).Put(key, (OutboxEntry)value);
        foreach (var (key, value) in snapshot[TopologyNames.SessionClockStore]) second.Store<SessionClock>(TopologyNames.SessionClockStore).Put(key, (SessionClock)value);
        var forwardedSecond = 0;
        for (var i = half; i < events.Count; i++) second.Pipe(events[i].SessionId, events[i], events[i].Timestamp);
        clock.Now = T0.AddDays(1);
        second.Punctuate();
        second.Punctuate();
        Forward(second, aggregator, ref forwardedSecond);

        var total = Latest(aggregator)[TotalKey];
        var (treatment, holdout) = Batch(events);
        Assert.Equal(treatment, AovAggregateMapping.SumsOf(total.Treatment));
        Assert.Equal(holdout, AovAggregateMapping.SumsOf(total.Holdout));
        Assert.Empty(aggregator.DeadLetters);
    }

    [Fact]
    public void An_event_beyond_gap_and_grace_and_a_malformed_session_event_are_dead_lettered_with_their_reason()
    {
        var clock = new ManualClock(T0.AddDays(-1));
        using var sessions = new TopologyTestDriver<SessionEvent>(SessionOutcomeTopologies.SessionOutcomes(Streams, Experiment), clock);

        sessions.Pipe("s1", View("s1", "v1", T0.AddHours(3)));
        sessions.Pipe("s2", View("s2", "v2", T0));
        sessions.PipeRaw("s3", Encoding.UTF8.GetBytes("""{"kind":"orderCompleted","sessionId":"s3","timestamp":"2026-03-02T09:00:00Z"}"""));

        Assert.Collection(sessions.DeadLetters,
            late =>
            {
                Assert.Equal(SessionOutcomeTopologies.LateEvent, late.Kind);
                Assert.Contains("session 's2'", late.Reason);
            },
            invalid =>
            {
                Assert.Equal(DeadLetterKinds.Invalid, invalid.Kind);
                Assert.Contains("orderId is required", invalid.Reason);
            });
        Assert.Null(sessions.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s2"));
    }

    [Fact]
    public void A_change_resent_with_a_sequence_already_applied_is_not_counted_again()
    {
        using var aggregator = new TopologyTestDriver<OutcomeChangeMessage>(SessionOutcomeTopologies.Aggregator(Streams));
        var outcome = new SessionOutcome
        {
            SessionKey = "s1@0", SessionId = "s1", SubjectId = "v1", ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = 0.3,
            Cohort = Cohort.Treatment, ExposedAt = T0, WindowStart = T0, WindowEnd = T0.AddMinutes(5), Revenue = 40m, Orders = 1,
            CrossSellLines = 1, CrossSellRevenue = 5m,
        };
        var message = new OutcomeChangeMessage(2, 17, SessionOutcomeChange.Closed(outcome));

        aggregator.Pipe("xsell-test", message);
        aggregator.Pipe("xsell-test", message);
        aggregator.Pipe("xsell-test", message with { SourcePartition = 3 });

        var total = Latest(aggregator)[AovAggregateRecord.KeyOf("xsell-test", "pepper", AggregateWindow.Total, DateTimeOffset.UnixEpoch)];
        Assert.Equal(2, total.Treatment.ExposedSessions); // once per source partition and sequence
        Assert.Equal(80m, total.Treatment.Revenue);
        Assert.Equal(2, total.Treatment.CrossSellSessions);
    }
}
