using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.Topologies.Tests;

/// <summary>
/// The outcomes group on Streamiz's test driver: re-keying, session windows, exact sums, upserts counted once, logs kept
/// until their outcome is flushed. (Restarts and replays are proven for real, with SIGKILL: OutcomesCrashTests.)
/// </summary>
public sealed class OutcomesTopologyTests
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentOptions Experiment = new()
    {
        ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = 0.3, InactivityGap = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(15),
        StreamTimeLag = TimeSpan.FromMinutes(5),
    };
    private static readonly string SessionEvents = OutcomesTopology.SessionEventsTopic(Streams);
    private static readonly string SessionOutcomes = OutcomesTopology.SessionOutcomesTopic(Streams);
    private static string TotalKey => AovAggregateRecord.KeyOf(Experiment.ExperimentId, Experiment.Salt, AggregateWindow.Total, DateTimeOffset.UnixEpoch);

    private static GroupTestDriver Driver(ManualClock clock) => new(OutcomesTopology.Build(Streams, Experiment, clock: clock), Streams);

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
    private static (CohortSums Treatment, CohortSums Holdout) Batch(IEnumerable<SessionEvent> events) =>
        BatchMeasurement.Totals(events.Select(e => e.ToExperimentEvent()), Experiment.Config, Experiment.Windows, T0.AddDays(2));

    /// <summary>Carries the repartition topics' new records to their readers, as the broker would (the driver does not loop).</summary>
    private sealed class Loop(GroupTestDriver driver)
    {
        private int _events;
        private int _outcomes;

        public void Run()
        {
            var events = driver.SentTo(SessionEvents);
            for (; _events < events.Count; _events++) driver.PipeRaw(SessionEvents, events[_events].Key, events[_events].Value, events[_events].Timestamp);
            var outcomes = driver.SentTo(SessionOutcomes);
            for (; _outcomes < outcomes.Count; _outcomes++) driver.PipeRaw(SessionOutcomes, outcomes[_outcomes].Key, outcomes[_outcomes].Value, outcomes[_outcomes].Timestamp);
        }
    }

    /// <summary>The wall clock moves a day on, every punctuation fires (sessions close, windows publish), and the results travel.</summary>
    private static void CloseEverything(GroupTestDriver driver, ManualClock clock, Loop loop)
    {
        clock.Now = T0.AddDays(1);
        driver.AdvanceWallClock(Streams.CommitInterval);
        loop.Run();
        driver.AdvanceWallClock(Streams.CommitInterval);
        loop.Run();
        driver.AdvanceWallClock(Streams.CommitInterval);
    }

    /// <summary>Every event through the group as it arrives, then the partition goes quiet and the wall clock closes every session.</summary>
    private static GroupTestDriver RunToTheEnd(IEnumerable<SessionEvent> events)
    {
        var clock = new ManualClock(T0.AddDays(-1));
        var driver = Driver(clock);
        var loop = new Loop(driver);
        foreach (var e in events)
        {
            PipeSessionEvent(driver, e);
            loop.Run();
        }
        CloseEverything(driver, clock, loop);
        return driver;
    }

    private static Dictionary<string, AovAggregateRecord> Latest(GroupTestDriver driver) =>
        driver.SentTo(Topics.AovAggregates).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => OutcomesTopology.AggregateCodec.Decode(g.Last().Value).Value!);

    private static void PipeSessionEvent(GroupTestDriver driver, SessionEvent e) =>
        driver.Pipe(SessionEvents, e.SessionId, e, OutcomesTopology.SessionEventCodec, e.Timestamp);

    [Fact]
    public void Cart_views_and_session_orders_are_re_keyed_by_session_and_other_events_are_not()
    {
        using var driver = Driver(new ManualClock(Store.Now));

        driver.Pipe(Topics.CartEvents, "cart-1", Store.Added("cart-1", "socks", 1, 12m), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "cart-1", Store.Added("cart-1", "socks", 1, 12m) with
            { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null, VisitorId = "v1" }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.OrderEvents, "o-1", new OrderCompleted
        {
            EventId = "e1", OrderId = "o-1", CartId = "cart-1", SessionId = "s-cart-1", VisitorId = "v1", Timestamp = Store.Now,
            Lines = [new OrderLine { Sku = "socks", Quantity = 2, UnitPrice = 6m }, new OrderLine { Sku = "laces", Quantity = 1, UnitPrice = 3m, Source = EventSources.CrossSellWidget }],
        }, ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "o-2", new OrderCompleted
            { EventId = "e2", OrderId = "o-2", Timestamp = Store.Now, Lines = [new OrderLine { Sku = "socks", Quantity = 1, UnitPrice = 6m }] }, ContractCodecs.OrderCompleted);

        var sent = driver.SentTo(SessionEvents);
        Assert.Equal(2, sent.Count); // the add is not a view; o-2 has no session: outside the experiment
        Assert.All(sent, s => Assert.Equal("s-cart-1", s.Key));
        var view = OutcomesTopology.SessionEventCodec.Decode(sent[0].Value).Value!;
        Assert.Equal(SessionEvent.CartViewed, view.Kind);
        var order = OutcomesTopology.SessionEventCodec.Decode(sent[1].Value).Value!;
        Assert.Equal("o-1", order.OrderId);
        Assert.Equal([EventSources.Storefront, EventSources.CrossSellWidget], order.Lines!.Select(l => l.Source));
    }

    [Fact]
    public void The_published_total_equals_the_batch_computation_over_the_same_events_exactly()
    {
        var events = Sessions(300, seed: 7);
        using var driver = RunToTheEnd(events);

        var latest = Latest(driver);
        var total = latest[TotalKey];
        var (treatment, holdout) = Batch(events);
        Assert.Equal(treatment, AovAggregateMapping.SumsOf(total.Treatment));
        Assert.Equal(holdout, AovAggregateMapping.SumsOf(total.Holdout));
        Assert.True(holdout.ExposedSessions > 20 && treatment.ExposedSessions > 100, $"{holdout.ExposedSessions} / {treatment.ExposedSessions}");
        Assert.True(treatment.CrossSellLines > 0);
        Assert.Empty(driver.DeadLetters);
        // Hour windows partition the total.
        var hours = latest.Values.Where(a => a.Window == AggregateWindow.Hour).ToList();
        Assert.True(hours.Count >= 5);
        Assert.Equal(treatment.ExposedSessions, hours.Sum(h => h.Treatment.ExposedSessions));
        Assert.Equal(holdout.Revenue, hours.Sum(h => h.Holdout.Revenue));
        Assert.All(latest.Values, a => Assert.True(a.Naive.Biased));
        // Visitors come back in later hours (the hours' visitor counts add up to more than the total's); the last
        // hour's visitor sums to date count each once, as the running total does.
        Assert.True(hours.Sum(h => h.Treatment.Visitors!.Visitors) > total.Treatment.Visitors!.Visitors);
        var lastHour = hours.MaxBy(h => h.WindowStart)!;
        Assert.Equal(total.Treatment.Visitors, lastHour.Treatment.VisitorsToDate);
        Assert.Equal(total.Holdout.Visitors, lastHour.Holdout.VisitorsToDate);
    }

    [Fact]
    public void An_event_beyond_gap_and_grace_and_a_malformed_session_event_are_dead_lettered_with_their_reason()
    {
        using var driver = Driver(new ManualClock(T0.AddDays(-1)));

        PipeSessionEvent(driver, View("s1", "v1", T0.AddHours(3)));
        PipeSessionEvent(driver, View("s2", "v2", T0));
        driver.PipeRaw(SessionEvents, "s3", Encoding.UTF8.GetBytes("""{"kind":"orderCompleted","sessionId":"s3","timestamp":"2026-03-02T09:00:00Z"}"""));

        Assert.Collection(driver.DeadLetters,
            late =>
            {
                Assert.Equal(OutcomesTopology.LateEvent, late.Kind);
                Assert.Contains("session 's2'", late.Reason);
            },
            invalid =>
            {
                Assert.Equal(DeadLetterKinds.Invalid, invalid.Kind);
                Assert.Contains("orderId is required", invalid.Reason);
            });
        Assert.Null(driver.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s2"));
        Assert.NotNull(driver.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s1"));
    }

    [Fact]
    public void A_view_dated_at_the_end_of_time_is_dead_lettered_before_it_can_make_every_later_event_late()
    {
        using var driver = Driver(new ManualClock(Store.Now));
        var view = Store.Added("c1", "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null };
        driver.Pipe(Topics.CartEvents, "c1", view with { Timestamp = DateTimeOffset.MaxValue }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", view with { Timestamp = DateTimeOffset.MinValue.AddDays(1) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", view, ContractCodecs.CartEvent);

        Assert.All(driver.DeadLetters, d => Assert.Equal(DeadLetterKinds.ImplausibleTime, d.Kind));
        Assert.Equal(2, driver.DeadLetters.Count);
        Assert.Equal(Store.Now, OutcomesTopology.SessionEventCodec.Decode(Assert.Single(driver.SentTo(SessionEvents)).Value).Value!.Timestamp);
    }

    [Fact]
    public void A_late_event_is_dead_lettered_naming_the_record_it_was_read_from_not_only_its_repartition_copy()
    {
        using var driver = Driver(new ManualClock(Store.Now.AddHours(3)));
        CartEvent View(string cartId, DateTimeOffset at) =>
            Store.Added(cartId, "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null, Timestamp = at };
        driver.Pipe(Topics.CartEvents, "c1", View("c1", Store.Now.AddHours(3)), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c2", View("c2", Store.Now), ContractCodecs.CartEvent); // offset 1 of cart-events
        // The splitter's repartition copies, into the session windows as the broker would deliver them.
        foreach (var copy in driver.SentTo(SessionEvents).ToList())
            PipeSessionEvent(driver, OutcomesTopology.SessionEventCodec.Decode(copy.Value).Value!);

        var late = Assert.Single(driver.DeadLetters, d => d.Kind == OutcomesTopology.LateEvent);
        Assert.Contains($"(read from {Topics.CartEvents}/0@1)", late.Reason);
        Assert.Contains("session 's-c2'", late.Reason);
    }

    [Fact]
    public void An_event_further_ahead_of_the_clock_than_the_grace_is_dead_lettered_before_it_closes_open_sessions_early()
    {
        // Streams:MaxFutureSkew allows an hour. A view ahead by more than the grace (15 minutes) moves stream time so far
        // that a session whose next honest event comes within its gap may already be closed: that event would be late.
        // So the bound is the grace itself, not gap + grace (45 minutes) nor the skew: a minute beyond it is refused, a
        // minute within it counts.
        using var driver = Driver(new ManualClock(Store.Now));
        var view = Store.Added("c1", "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null };
        driver.Pipe(Topics.CartEvents, "c1", view with { Timestamp = Store.Now + Experiment.Grace + TimeSpan.FromMinutes(1) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", view with { Timestamp = Store.Now + Experiment.Grace - TimeSpan.FromMinutes(1) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", view, ContractCodecs.CartEvent);

        var dead = Assert.Single(driver.DeadLetters);
        Assert.Equal(DeadLetterKinds.ImplausibleTime, dead.Kind);
        Assert.Contains("ahead of the clock", dead.Reason);
        Assert.Equal([Store.Now + Experiment.Grace - TimeSpan.FromMinutes(1), Store.Now],
            driver.SentTo(SessionEvents).Select(r => OutcomesTopology.SessionEventCodec.Decode(r.Value).Value!.Timestamp));
    }

    private static SessionOutcome Outcome(string sessionKey, decimal revenue, double share = 0.3, int revision = 0) => new()
    {
        SessionKey = sessionKey, SessionId = sessionKey.Split('@')[0], SubjectId = "v1", ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = share,
        Cohort = Cohort.Treatment, ExposedAt = T0, WindowStart = T0, WindowEnd = T0.AddMinutes(5), Revenue = revenue, Orders = 1,
        CrossSellLines = 1, CrossSellRevenue = 5m, Revision = revision,
    };

    [Fact]
    public void An_outcome_with_engagement_the_aggregator_cannot_sum_is_dead_lettered_before_it_is_stored()
    {
        using var driver = Driver(new ManualClock(T0));
        foreach (var (name, change) in new (string, Action<System.Text.Json.Nodes.JsonObject>)[]
                 {
                     ("null", e => e.ReplaceWith<object?>(null)),
                     ("short positions", e => e["positionImpressions"] = new System.Text.Json.Nodes.JsonArray(1)),
                     ("no add-ons", e => e["addOns"] = null),
                 })
        {
            var upsert = System.Text.Json.Nodes.JsonNode.Parse(OutcomesTopology.UpsertCodec.Encode(new OutcomeUpsert("xsell-test", "s-" + name, Outcome("s-" + name, 40m))))!;
            change(upsert["outcome"]!["engagement"]!.AsObject());
            driver.PipeRaw(SessionOutcomes, "xsell-test", Encoding.UTF8.GetBytes(upsert.ToJsonString()));
        }
        // Stored, such an outcome failed the sums at every restart; refused, the partition flows on.
        Assert.Equal(3, driver.DeadLetters.Count(d => d.Kind == DeadLetterKinds.Invalid && d.Reason.Contains("engagement")));
        Assert.Null(driver.Store<SessionOutcome>(TopologyNames.AovSessionsStore).Get("xsell-test/s-null"));
    }

    [Fact]
    public void An_outcome_whose_model_versions_the_aggregator_cannot_sum_is_dead_lettered_and_one_written_before_the_split_is_counted()
    {
        using var driver = Driver(new ManualClock(T0));
        SessionOutcome? Stored(string session) => driver.Store<SessionOutcome>(TopologyNames.AovSessionsStore).Get("xsell-test/" + session);
        static System.Text.Json.Nodes.JsonObject Model(string version, int impressions, int shown, int clicks) =>
            new() { ["modelVersion"] = version, ["impressions"] = impressions, ["addOnsShown"] = shown, ["clicks"] = clicks };
        void Pipe(string session, Action<System.Text.Json.Nodes.JsonObject> change)
        {
            var engaged = Outcome(session, 40m) with
            {
                Engagement = new SessionEngagement
                {
                    Impressions = 1, PositionImpressions = [1, 0, 0], PositionClicks = [1, 0, 0], WidgetAdds = 1, Clicks = 1,
                    AddOns = [new AddOnEngagement("lantern", 1, 1, 0)], Models = [new ModelEngagement("rk-7", 1, 1, 1)],
                },
            };
            var upsert = System.Text.Json.Nodes.JsonNode.Parse(OutcomesTopology.UpsertCodec.Encode(new OutcomeUpsert("xsell-test", session, engaged)))!;
            change(upsert["outcome"]!["engagement"]!.AsObject());
            driver.PipeRaw(SessionOutcomes, "xsell-test", Encoding.UTF8.GetBytes(upsert.ToJsonString()));
        }

        foreach (var (name, models) in new (string, Func<System.Text.Json.Nodes.JsonNode?>)[]
                 {
                     ("null", () => null),
                     ("negative", () => new System.Text.Json.Nodes.JsonArray(Model("rk-7", -1, 1, 0))),
                     ("more clicks than shown", () => new System.Text.Json.Nodes.JsonArray(Model("rk-7", 1, 1, 2))),
                     ("twice", () => new System.Text.Json.Nodes.JsonArray(Model("rk-7", 1, 1, 0), Model("rk-7", 1, 1, 0))),
                     ("blank version", () => new System.Text.Json.Nodes.JsonArray(Model("", 1, 1, 0))),
                 })
            Pipe("s-" + name, e => e["models"] = models());
        // Stored, a negative count would fail the model table at every restart; refused, the partition flows on.
        Assert.Equal(5, driver.DeadLetters.Count(d => d.Kind == DeadLetterKinds.Invalid && d.Reason.Contains("model versions")));
        Assert.Null(Stored("s-negative"));
        // The same for the add-on table.
        static System.Text.Json.Nodes.JsonObject AddOn(string sku, int impressions) =>
            new() { ["sku"] = sku, ["impressions"] = impressions, ["clicks"] = 0, ["orderedLines"] = 0 };
        Pipe("s-addon-negative", e => e["addOns"] = new System.Text.Json.Nodes.JsonArray(AddOn("lantern", -1)));
        Pipe("s-addon-twice", e => e["addOns"] = new System.Text.Json.Nodes.JsonArray(AddOn("lantern", 1), AddOn("lantern", 1)));
        Assert.Equal(2, driver.DeadLetters.Count(d => d.Kind == DeadLetterKinds.Invalid && d.Reason.Contains("each sku once")));
        Assert.Null(Stored("s-addon-negative"));
        // A click without a widget add passes the shape checks; the aggregator could not sum it, so it is refused before the store.
        Pipe("s-click-without-add", e => e["widgetAdds"] = 0);
        Assert.Contains(driver.DeadLetters, d => d.Reason.Contains("counts no session can have"));
        Assert.Null(Stored("s-click-without-add"));

        Pipe("s-old@0", e => Assert.True(e.Remove("models"))); // as written before the split
        Assert.Empty(Stored("s-old@0")!.Engagement.Models);
        Pipe("s-new@0", _ => { });
        driver.AdvanceWallClock(Streams.CommitInterval);
        Assert.Equal(8, driver.DeadLetters.Count);
        var engagement = Latest(driver)[TotalKey].Treatment.Engagement!;
        Assert.Equal(2, engagement.Impressions);
        Assert.Equal(new AovModel { ModelVersion = "rk-7", Impressions = 1, AddOnsShown = 1, Clicks = 1, ClickThrough = 1.0 }, Assert.Single(engagement.Models));
    }

    [Fact]
    public void Upserts_count_each_session_once_whatever_is_sent_again_and_a_revision_or_retraction_replaces_it()
    {
        using var driver = Driver(new ManualClock(T0));
        void Upsert(string key, SessionOutcome? outcome) =>
            driver.Pipe(SessionOutcomes, "xsell-test", new OutcomeUpsert("xsell-test", key, outcome), OutcomesTopology.UpsertCodec);
        CohortSums TotalTreatment()
        {
            driver.AdvanceWallClock(Streams.CommitInterval);
            return AovAggregateMapping.SumsOf(Latest(driver)[AovAggregateRecord.KeyOf("xsell-test", "pepper", AggregateWindow.Total, DateTimeOffset.UnixEpoch)].Treatment);
        }

        Upsert("s1@0", Outcome("s1@0", 40m));
        // Sent again after a crash, as written before outcomes carried engagement: the same outcome, counted once.
        var beforeEngagement = System.Text.Json.Nodes.JsonNode.Parse(OutcomesTopology.UpsertCodec.Encode(new OutcomeUpsert("xsell-test", "s1@0", Outcome("s1@0", 40m))))!;
        Assert.True(beforeEngagement["outcome"]!.AsObject().Remove("engagement"));
        driver.PipeRaw(SessionOutcomes, "xsell-test", Encoding.UTF8.GetBytes(beforeEngagement.ToJsonString()));
        Upsert("s2@0", Outcome("s2@0", 10m));
        var sums = TotalTreatment();
        Assert.Equal(2, sums.ExposedSessions);
        Assert.Equal(50m, sums.Revenue);

        Upsert("s1@0", Outcome("s1@0", 60m, revision: 1)); // a late order revised it
        Upsert("s2@0", null); // absorbed into another session
        Upsert("s2@0", null);
        sums = TotalTreatment();
        Assert.Equal(1, sums.ExposedSessions);
        Assert.Equal(60m, sums.Revenue);
        Assert.Equal(3600m, sums.RevenueSquares);

        Upsert("s3@0", Outcome("s3@0", 7m, share: 0.5)); // a second split for one experiment: the SRM check would lie
        var rejected = Assert.Single(driver.DeadLetters);
        Assert.Equal(OutcomesTopology.InconsistentOutcome, rejected.Kind);
        Assert.Equal(1, TotalTreatment().ExposedSessions);
    }

    [Fact]
    public void A_session_log_is_deleted_only_after_its_horizon_and_two_commits_so_its_outcome_was_flushed_first()
    {
        var clock = new ManualClock(T0);
        using var driver = Driver(clock);
        PipeSessionEvent(driver, View("s1", "v1", T0));
        var logs = driver.Store<SessionLog>(TopologyNames.SessionWindowsStore);

        // Stream time passes the horizon (last event + 2 gaps + grace) with the wall clock ...
        clock.Now = T0.AddHours(3);
        driver.AdvanceWallClock(Streams.CommitInterval);
        Assert.NotEmpty(driver.SentTo(SessionOutcomes)); // the session closed and its outcome was sent
        Assert.NotNull(logs.Get("s1"));
        // (A task commits only when it processed something since its last commit: other sessions keep it busy.)
        PipeSessionEvent(driver, View("s2", "v2", T0.AddHours(3)));
        driver.Commit();
        driver.AdvanceWallClock(Streams.CommitInterval);
        Assert.NotNull(logs.Get("s1")); // one commit: the send may not be flushed yet
        PipeSessionEvent(driver, View("s3", "v3", T0.AddHours(3)));
        driver.Commit();
        driver.AdvanceWallClock(Streams.CommitInterval);
        Assert.Null(logs.Get("s1"));
        Assert.NotNull(logs.Get("s3"));
    }

    [Fact]
    public void The_same_cart_view_and_the_same_order_published_twice_at_other_offsets_count_once_in_the_aggregates()
    {
        var clock = new ManualClock(T0);
        using var driver = Driver(clock);
        var loop = new Loop(driver);
        var view = Store.Added("cart-1", "socks", 1, 12m) with
            { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null, SessionId = "s1", VisitorId = "v1", Timestamp = T0 };
        var order = new OrderCompleted
        {
            EventId = "e-o1", OrderId = "o1", CartId = "cart-1", SessionId = "s1", VisitorId = "v1", Timestamp = T0.AddMinutes(5),
            Lines = [new OrderLine { Sku = "socks", Quantity = 2, UnitPrice = 6m }, new OrderLine { Sku = "laces", Quantity = 1, UnitPrice = 3m, Source = EventSources.CrossSellWidget }],
        };
        driver.Pipe(Topics.CartEvents, "cart-1", view, ContractCodecs.CartEvent);
        driver.Pipe(Topics.OrderEvents, "o1", order, ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.CartEvents, "cart-1", view, ContractCodecs.CartEvent); // a retrying storefront: the next offset
        driver.Pipe(Topics.OrderEvents, "o1", order with { EventId = "retry" }, ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.CartEvents, "cart-1", view with { EventId = "second-view", Timestamp = T0.AddMinutes(1) }, ContractCodecs.CartEvent);
        loop.Run();

        Assert.Equal(5, driver.SentTo(SessionEvents).Count); // the splitters keep no ids: the session's log does
        var logged = driver.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s1")!.Events;
        Assert.Equal([view.EventId, null, "second-view"], logged.Select(e => e.Event.EventId));
        CloseEverything(driver, clock, loop);

        var total = Latest(driver)[TotalKey];
        var sums = new[] { AovAggregateMapping.SumsOf(total.Treatment), AovAggregateMapping.SumsOf(total.Holdout) };
        Assert.Equal(1, sums.Sum(x => x.ExposedSessions));
        Assert.Equal(1, sums.Sum(x => x.Orders));
        Assert.Equal(15m, sums.Sum(x => x.Revenue));
        Assert.Equal(1, sums.Sum(x => x.CrossSellLines));
        Assert.Empty(driver.DeadLetters);
    }

    private static SessionEvent Impression(string session, DateTimeOffset at, long version, params string[] skus) =>
        new() { Kind = SessionEvent.ImpressionShown, SessionId = session, CartId = "cart-" + session, ValueVersion = version, Skus = skus, ModelVersion = ModelOf(version), Timestamp = at };

    // Two versions take turns, as when the trainer promotes one mid-session.
    private static string ModelOf(long valueVersion) => valueVersion % 2 == 0 ? "rk-2" : "rk-1";

    private static SessionEvent WidgetAdd(string session, DateTimeOffset at, string eventId, string sku) =>
        new() { Kind = SessionEvent.WidgetAdd, SessionId = session, CartId = "cart-" + session, EventId = eventId, Sku = sku, Timestamp = at };

    [Fact]
    public void Impressions_and_widget_adds_are_re_keyed_by_session_and_a_bad_impression_is_dead_lettered_with_its_coordinates()
    {
        using var driver = Driver(new ManualClock(Store.Now));
        CrossSellImpression Shown(string? session) => new()
        {
            EventId = Guid.NewGuid().ToString(), CartId = "cart-1", SessionId = session, ValueVersion = 12, Skus = ["laces", "gels"], ModelVersion = "rk-1", Timestamp = Store.Now,
        };

        driver.Pipe(Topics.CrossSellImpressions, "cart-1", Shown("s-cart-1"), ContractCodecs.CrossSellImpression);
        driver.Pipe(Topics.CrossSellImpressions, "cart-1", Shown(null), ContractCodecs.CrossSellImpression); // no session: outside the experiment
        driver.PipeRaw(Topics.CrossSellImpressions, "cart-1", Encoding.UTF8.GetBytes("""{"cartId":"cart-1","skus":"""));
        driver.PipeRaw(Topics.CrossSellImpressions, "cart-1", Encoding.UTF8.GetBytes(
            """{"schemaVersion":1,"eventId":"i9","cartId":"cart-1","sessionId":"s-cart-1","valueVersion":3,"skus":["a","a"],"modelVersion":"m","timestamp":"2026-03-02T09:00:00Z"}"""));
        driver.Pipe(Topics.CrossSellImpressions, "cart-1", Shown("s-cart-1"), ContractCodecs.CrossSellImpression); // the partition goes on
        driver.Pipe(Topics.CartEvents, "cart-1", Store.Added("cart-1", "laces", 1, 3m) with { Source = EventSources.CrossSellWidget }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "cart-1", Store.Added("cart-1", "socks", 1, 6m), ContractCodecs.CartEvent); // a storefront add is no click

        var sent = driver.SentTo(SessionEvents).Select(r => (r.Key, Event: OutcomesTopology.SessionEventCodec.Decode(r.Value).Value!)).ToList();
        Assert.Equal([SessionEvent.ImpressionShown, SessionEvent.ImpressionShown, SessionEvent.WidgetAdd], sent.Select(s => s.Event.Kind));
        Assert.All(sent, s => Assert.Equal("s-cart-1", s.Key));
        Assert.Equal(["laces", "gels"], sent[0].Event.Skus!);
        Assert.Equal(12, sent[0].Event.ValueVersion);
        Assert.Equal("laces", sent[2].Event.Sku);
        Assert.Collection(driver.DeadLetters,
            malformed =>
            {
                Assert.Equal(DeadLetterKinds.Unparseable, malformed.Kind);
                Assert.Equal(Topics.CrossSellImpressions, malformed.SourceTopic);
                Assert.Equal(2, malformed.SourceOffset);
            },
            repeated =>
            {
                Assert.Equal(DeadLetterKinds.Invalid, repeated.Kind);
                Assert.Contains("skus must not repeat", repeated.Reason);
                Assert.Equal(3, repeated.SourceOffset);
            });
    }

    /// <summary>
    /// Sessions as the widget sees them: treatment sessions are shown one to three value versions (each reported twice,
    /// as a page reload does) and click some add-ons (some adds redelivered), and order some of them; holdout sessions
    /// see no module.
    /// </summary>
    private static (List<SessionEvent> Events, int Impressions, int Clicks) EngagedSessions(int count, int seed)
    {
        var rng = new Random(seed);
        var events = new List<SessionEvent>();
        var (impressions, clicks) = (0, 0);
        string[] catalog = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"];
        for (var s = 0; s < count; s++)
        {
            var session = $"e{s}";
            var visitor = $"v{s}";
            var t = T0.AddMinutes(rng.Next(0, 300));
            events.Add(View(session, visitor, t));
            if (Experiment.Config.Assign(visitor, session) == Cohort.Holdout) continue;
            var widgetLines = new List<SessionEventLine>();
            for (var version = 1; version <= rng.Next(1, 4); version++)
            {
                t = t.AddMinutes(1);
                var shown = catalog.OrderBy(_ => rng.Next()).Take(rng.Next(1, 4)).ToArray();
                events.Add(Impression(session, t, version, shown));
                events.Add(Impression(session, t.AddSeconds(5), version, shown)); // reported again: one impression
                impressions++;
                if (rng.Next(3) != 0) continue;
                var clicked = shown[rng.Next(shown.Length)];
                var add = WidgetAdd(session, t.AddSeconds(20), $"add-{session}-{version}", clicked);
                events.Add(add);
                if (rng.Next(2) == 0) events.Add(add); // redelivered: one click
                clicks++;
                widgetLines.Add(new SessionEventLine(clicked, 1, 4.5m, EventSources.CrossSellWidget));
            }
            if (widgetLines.Count > 0 && rng.Next(2) == 0)
                events.Add(Order(session, visitor, t.AddMinutes(2), $"o-{session}", [new SessionEventLine("main", 1, 20m, EventSources.Storefront), .. widgetLines]));
        }
        // Arrival order: event time plus up to ten minutes of delay (within grace), so nothing is late.
        return (events.Select(e => (e, Arrives: e.Timestamp.AddSeconds(rng.Next(0, 600)))).OrderBy(x => x.Arrives).Select(x => x.e).ToList(), impressions, clicks);
    }

    [Fact]
    public void Impressions_and_clicks_are_counted_once_through_duplicates_and_replayed_upserts_and_the_total_equals_the_batch()
    {
        var (events, impressions, clicks) = EngagedSessions(200, seed: 11);
        using var driver = RunToTheEnd(events);
        // A crash replays upserts the aggregator applied: every one of them is sent again.
        foreach (var r in driver.SentTo(SessionOutcomes).ToList()) driver.PipeRaw(SessionOutcomes, r.Key, r.Value, r.Timestamp);
        driver.AdvanceWallClock(Streams.CommitInterval);

        var total = Latest(driver)[TotalKey];
        var (treatment, holdout) = Batch(events);
        Assert.Equal(treatment, AovAggregateMapping.SumsOf(total.Treatment));
        Assert.Equal(holdout, AovAggregateMapping.SumsOf(total.Holdout));
        var engagement = total.Treatment.Engagement!;
        Assert.Equal(impressions, engagement.Impressions); // each version once, though reported twice
        Assert.Equal(clicks, engagement.Clicks); // each add once, though some were delivered twice
        Assert.Equal(clicks, engagement.WidgetAdds); // every add was of a shown sku
        Assert.Equal(clicks, engagement.Positions.Sum(p => p.Clicks));
        Assert.Equal(engagement.Positions.Sum(p => p.Impressions), engagement.AddOns.Sum(a => a.Impressions) + (engagement.OtherAddOns?.Impressions ?? 0));
        Assert.True(engagement.Positions[0].Impressions >= engagement.Positions[1].Impressions); // position 2 exists only beside a position 1
        Assert.True(engagement.AddOns.Sum(a => a.OrderedLines) > 0);
        // Split by the version that ranked each impression, the parts add up to the whole.
        Assert.Equal(["rk-1", "rk-2"], engagement.Models.Select(m => m.ModelVersion).Order(StringComparer.Ordinal));
        Assert.Equal(impressions, engagement.Models.Sum(m => m.Impressions));
        Assert.Equal(clicks, engagement.Models.Sum(m => m.Clicks));
        Assert.Equal(engagement.Positions.Sum(p => p.Impressions), engagement.Models.Sum(m => m.AddOnsShown));
        Assert.All(engagement.Models, m => Assert.Equal((double)m.Clicks / m.AddOnsShown, m.ClickThrough));
        // The holdout never sees the module.
        Assert.True(total.Holdout.ExposedSessions > 20);
        Assert.Equal(0, total.Holdout.Engagement!.Impressions);
        Assert.Empty(total.Holdout.Engagement.AddOns);
        Assert.Empty(total.Holdout.Engagement.Models);
        Assert.Empty(driver.DeadLetters);
    }
}
