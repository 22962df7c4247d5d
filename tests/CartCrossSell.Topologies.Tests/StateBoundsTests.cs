using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

/// <summary>
/// State records that grow with the events applied to them stay within <c>Streams:MaxStateRecordBytes</c>: a record
/// the changelog's producer refuses (above 1,000,000 bytes) stops the group at the same input after every restart.
/// </summary>
public sealed class StateBoundsTests
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };

    /// <summary>The producer's <c>message.max.bytes</c>: a changelog record above it stops the stream thread.</summary>
    private const int ProducerLimit = 1_000_000;

    /// <summary>Text of <paramref name="length"/> characters the JSON writer escapes, each to six bytes (<c>\u003C</c>), made distinct by <paramref name="n"/>.</summary>
    private static string Escaped(int n, int length) => (n.ToString("D6") + new string('<', length)).Substring(0, length);

    /// <summary>Text of <paramref name="length"/> characters written as they are, made distinct by <paramref name="n"/>.</summary>
    private static string Plain(int n, int length) => (n.ToString("D6") + new string('v', length)).Substring(0, length);

    private static GroupTestDriver Recommender(CapturingSink sink) =>
        new(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), Store.Catalog(), Store.Learned(), sink), Streams);

    private static CartState Cart(GroupTestDriver driver, string cartId) => driver.Store<CartState>(TopologyNames.CartsStore).Get(cartId)!;

    private static int EncodedBytes(CartState cart) => CartRecommenderTopology.CartCodec.Encode(cart).Length;

    private static CartEvent Viewed(string cartId) =>
        Store.Added(cartId, "socks", 1, 12m) with { Type = CartEventType.CartViewed, Sku = null, VariantId = null, Quantity = null, UnitPrice = null };

    /// <summary>An add as long as the contract allows: variant id, source and 32 attributes at their longest, all escaped.</summary>
    private static CartEvent LongestAdd(string cartId, int n) => Store.Added(cartId, "socks", 1, 12m) with
    {
        VariantId = Escaped(n, ContractValidation.MaxIdLength),
        Source = Escaped(n, ContractValidation.MaxIdLength),
        Attributes = Enumerable.Range(0, ContractValidation.MaxAttributes).ToDictionary(
            a => Escaped(a, ContractValidation.MaxAttributeNameLength), _ => Escaped(n, ContractValidation.MaxAttributeValueLength)),
    };

    [Fact]
    public void A_cart_fed_adds_of_the_longest_allowed_variant_ids_and_attributes_stays_under_the_budget_and_keeps_flowing()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        const int adds = 60; // ~37 KB each in the record: fourteen fill the budget, sixty would take 2.2 MB
        for (var n = 0; n < adds; n++)
        {
            var add = LongestAdd("c1", n);
            Assert.Empty(ContractValidation.Validate(add)); // valid input: the contract bounds alone do not stop it
            driver.Pipe(Topics.CartEvents, "c1", add, ContractCodecs.CartEvent);
            Assert.True(EncodedBytes(Cart(driver, "c1")) <= Streams.MaxStateRecordBytes, $"after add {n}: {EncodedBytes(Cart(driver, "c1"))} bytes");
        }

        var kept = Cart(driver, "c1").Lines.Count;
        Assert.InRange(kept, 10, adds - 1);
        var refused = driver.DeadLetters;
        Assert.Equal(adds - kept, refused.Count);
        Assert.All(refused, d => Assert.Equal(DeadLetterKinds.CartTooLarge, d.Kind));
        Assert.All(refused, d => Assert.Contains("Streams:MaxStateRecordBytes", d.Reason));
        Assert.Equal(Enumerable.Range(kept, adds - kept).Select(o => (Topics.CartEvents, (long)o)), refused.Select(d => (d.SourceTopic, d.SourceOffset)));

        // The cart keeps flowing: a view writes a value, a short add still fits, removing a line makes room again.
        var written = sink.Written.Count;
        driver.Pipe(Topics.CartEvents, "c1", Viewed("c1"), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "headband", 1, 14m), ContractCodecs.CartEvent);
        Assert.Equal(written + 2, sink.Written.Count);
        Assert.Contains(Cart(driver, "c1").Lines, l => l.Sku == "headband");
        foreach (var n in new[] { 0, 1 })
            driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with
                { Type = CartEventType.ItemRemoved, VariantId = Escaped(n, ContractValidation.MaxIdLength), Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", LongestAdd("c1", adds), ContractCodecs.CartEvent);
        Assert.Contains(Cart(driver, "c1").Lines, l => l.VariantId == Escaped(adds, ContractValidation.MaxIdLength));
        Assert.Equal(adds - kept, driver.DeadLetters.Count);
        Assert.True(EncodedBytes(Cart(driver, "c1")) <= Streams.MaxStateRecordBytes);
    }

    [Fact]
    public void A_cart_stored_under_a_larger_budget_may_shrink_but_not_grow_under_a_smaller_one()
    {
        // Three lines of the longest variant ids and attributes (~37 KB each) fit the default budget; a recommender
        // restarted with a quarter of it finds the cart above its budget. Removing a line must still pass (or the cart
        // could never be emptied), adding one must not.
        using var before = Recommender(new CapturingSink());
        for (var n = 0; n < 3; n++) before.Pipe(Topics.CartEvents, "c1", LongestAdd("c1", n), ContractCodecs.CartEvent);
        var written = Cart(before, "c1").Copy();
        written.AppliedPartition = -1; // the stored cart's coordinates are another driver's: its first event here is no replay
        var smaller = new StreamsOptions { StateStore = StateStoreKind.InMemory, MaxStateRecordBytes = 64 * 1024 };
        Assert.InRange(EncodedBytes(written), smaller.MaxStateRecordBytes + 1, Streams.MaxStateRecordBytes);

        var sink = new CapturingSink();
        using var driver = new GroupTestDriver(CartRecommenderTopology.Build(smaller, new RecommenderOptions(), Store.Catalog(), Store.Learned(), sink), smaller);
        driver.Pipe(Topics.CartEvents, "c1", Viewed("c1") with { EventId = "first-view" }, ContractCodecs.CartEvent); // the task and its store exist from the first record
        Assert.Single(sink.Written);
        Assert.IsAssignableFrom<Streamiz.Kafka.Net.State.IKeyValueStore<string, CartState>>(driver.Store<CartState>(TopologyNames.CartsStore))
            .Put("c1", written);

        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with
            { Type = CartEventType.ItemRemoved, VariantId = Escaped(0, ContractValidation.MaxIdLength), Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);
        Assert.Empty(driver.DeadLetters);
        Assert.Equal(2, sink.Written.Count);
        var shrunk = EncodedBytes(Cart(driver, "c1"));
        Assert.Equal(2, Cart(driver, "c1").Lines.Count);
        Assert.InRange(shrunk, smaller.MaxStateRecordBytes + 1, EncodedBytes(written) - 1); // still above the budget, and smaller

        driver.Pipe(Topics.CartEvents, "c1", LongestAdd("c1", 3), ContractCodecs.CartEvent);
        var refused = Assert.Single(driver.DeadLetters);
        Assert.Equal(DeadLetterKinds.CartTooLarge, refused.Kind);
        Assert.Contains($"Streams:MaxStateRecordBytes ({smaller.MaxStateRecordBytes})", refused.Reason);
        Assert.Equal(2, Cart(driver, "c1").Lines.Count);
        Assert.Equal(shrunk, EncodedBytes(Cart(driver, "c1")));
        Assert.Equal(2, sink.Written.Count);
    }

    [Fact]
    public void A_cart_of_the_most_lines_with_the_longest_allowed_variant_ids_fits_the_budget_and_one_character_more_is_invalid()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        var lines = new RecommenderOptions().MaxCartLines;
        var offset = 0L;
        var tooLong = new List<long>();
        for (var n = 0; n <= lines; n++)
        {
            driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { VariantId = Escaped(n, ContractValidation.MaxIdLength) }, ContractCodecs.CartEvent);
            offset++;
            if (n % 4 != 0) continue;
            driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m) with { VariantId = Escaped(n, ContractValidation.MaxIdLength + 1) }, ContractCodecs.CartEvent);
            tooLong.Add(offset++);
        }

        Assert.Equal(lines, Cart(driver, "c1").Lines.Count); // every allowed id applied, up to the line limit
        var dead = driver.DeadLetters;
        Assert.Equal(tooLong, dead.Where(d => d.Kind == DeadLetterKinds.Invalid).Select(d => d.SourceOffset));
        Assert.All(dead.Where(d => d.Kind == DeadLetterKinds.Invalid), d => Assert.StartsWith("variantId is longer than", d.Reason));
        var refused = Assert.Single(dead, d => d.Kind != DeadLetterKinds.Invalid); // the line past the limit, not the bytes
        Assert.Equal(DeadLetterKinds.CartTooLarge, refused.Kind);
        Assert.Contains($"{lines} lines", refused.Reason);
        Assert.InRange(EncodedBytes(Cart(driver, "c1")), 1, Streams.MaxStateRecordBytes);
        driver.Pipe(Topics.CartEvents, "c1", Viewed("c1"), ContractCodecs.CartEvent);
        Assert.Equal(lines + 1, sink.Written.Count);
    }

    [Fact]
    public void An_oversize_variant_id_is_dead_lettered_as_invalid_with_its_source_coordinates_and_the_cart_goes_on()
    {
        var sink = new CapturingSink();
        using var driver = Recommender(sink);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        // What the audit posted: a variant id as long as the web host's 16 KB body allowed, sixty-three of them.
        for (var n = 0; n < 63; n++)
            driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "headband", 1, 14m) with { VariantId = Plain(n, 16_000) }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "water-bottle", 1, 15m), ContractCodecs.CartEvent);

        var dead = driver.DeadLetters;
        Assert.Equal(63, dead.Count);
        Assert.All(dead, d => Assert.Equal(DeadLetterKinds.Invalid, d.Kind));
        Assert.All(dead, d => Assert.StartsWith("variantId is longer than 128 characters", d.Reason));
        Assert.Equal(Enumerable.Range(1, 63).Select(o => (Topics.CartEvents, 0, (long)o, (string?)"c1")), dead.Select(d => (d.SourceTopic, d.SourcePartition, d.SourceOffset, d.Key)));
        Assert.Equal(["socks", "water-bottle"], Cart(driver, "c1").Lines.Select(l => l.Sku));
        Assert.Equal(64L, sink.Latest("c1").Version);
    }

    [Fact]
    public void The_cheap_bound_of_a_cart_is_never_below_its_encoding()
    {
        // Everything at its longest and escaped, numbers at their longest: the bound decides when the encoding is skipped.
        var cart = new CartState
        {
            CartId = Escaped(1, 128), SessionId = Escaped(2, 128), ExposureSessionId = Escaped(4, 128), ExposureVisitorId = "\u2028" + Escaped(3, 127), Currency = "\"\"\"", Country = "<>",
            UpdatedAt = new DateTimeOffset(9999, 12, 31, 9, 59, 59, TimeSpan.FromHours(-14)).AddTicks(9_999_999), AppliedPartition = int.MinValue, AppliedOffset = long.MinValue, Sequence = long.MinValue,
            RecentEventIds = Enumerable.Range(0, 64).Select(i => Escaped(i, 128)).ToList(),
            Lines = Enumerable.Range(0, 200).Select(i => new CartLine
            {
                Sku = Escaped(i, 128), VariantId = Escaped(i, 128), Source = Escaped(i, 128), Quantity = int.MinValue, UnitPrice = -7.9228162514264337593543950335m,
                AddedAt = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(9_999_999),
                Attributes = Enumerable.Range(0, 32).ToDictionary(a => Escaped(a, 64), _ => Escaped(i, 128)),
            }).ToList(),
        };

        Assert.True(cart.EncodedBytesAtMost() >= EncodedBytes(cart), $"bound {cart.EncodedBytesAtMost()}, encoded {EncodedBytes(cart)}");
        var empty = new CartState { CartId = "c", SessionId = "s", UpdatedAt = DateTimeOffset.MinValue, Sequence = long.MinValue };
        Assert.True(empty.EncodedBytesAtMost() >= EncodedBytes(empty));
    }

    // ---- the session windows ----

    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static ExperimentOptions Experiment(int maxSessionEvents = 1_000) => new()
    {
        ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = 0.3, InactivityGap = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(15),
        StreamTimeLag = TimeSpan.FromMinutes(5), MaxSessionEvents = maxSessionEvents,
    };

    private static SessionEvent View(string session, DateTimeOffset at) =>
        new() { Kind = SessionEvent.CartViewed, SessionId = session, VisitorId = "v-" + session, CartId = "cart-" + session, EventId = "view-" + session, Timestamp = at };

    /// <summary>An impression as a client may report it: a value version, a model version and three skus of its choosing, each name at its longest.</summary>
    private static SessionEvent Impression(string session, int n, DateTimeOffset at) => new()
    {
        Kind = SessionEvent.ImpressionShown, SessionId = session, CartId = "cart-" + session, ValueVersion = n, Timestamp = at,
        ModelVersion = Escaped(n, ContractValidation.MaxIdLength), Skus = [.. Enumerable.Range(3 * n, 3).Select(i => Escaped(i, ContractValidation.MaxIdLength))],
    };

    /// <summary>Carries what the group sent to its repartition topics to their readers (the driver does not loop), as the broker would.</summary>
    private static void Loop(GroupTestDriver driver, StreamsOptions streams, ref int events, ref int outcomes)
    {
        var sessionEvents = OutcomesTopology.SessionEventsTopic(streams);
        var sessionOutcomes = OutcomesTopology.SessionOutcomesTopic(streams);
        var sent = driver.SentTo(sessionEvents);
        for (; events < sent.Count; events++) driver.PipeRaw(sessionEvents, sent[events].Key, sent[events].Value, sent[events].Timestamp);
        var upserts = driver.SentTo(sessionOutcomes);
        for (; outcomes < upserts.Count; outcomes++) driver.PipeRaw(sessionOutcomes, upserts[outcomes].Key, upserts[outcomes].Value, upserts[outcomes].Timestamp);
    }

    /// <summary>Pipes the session events, then moves the wall clock a day on so every session closes and its outcome reaches the aggregator.</summary>
    private static void RunToTheEnd(GroupTestDriver driver, StreamsOptions streams, ManualClock clock, IEnumerable<SessionEvent> events)
    {
        int sent = 0, upserts = 0;
        foreach (var e in events) driver.Pipe(OutcomesTopology.SessionEventsTopic(streams), e.SessionId, e, OutcomesTopology.SessionEventCodec, e.Timestamp);
        clock.Now = T0.AddDays(1);
        for (var i = 0; i < 3; i++)
        {
            driver.AdvanceWallClock(streams.CommitInterval);
            Loop(driver, streams, ref sent, ref upserts);
        }
    }

    private static SessionOutcome LastOutcome(GroupTestDriver driver, StreamsOptions streams, string session) =>
        driver.SentTo(OutcomesTopology.SessionOutcomesTopic(streams)).Select(r => OutcomesTopology.UpsertCodec.Decode(r.Value).Value!)
            .Last(u => u.Outcome?.SessionId == session).Outcome!;

    [Fact]
    public void A_session_reporting_more_events_than_its_log_keeps_goes_on_flowing_and_its_state_stays_bounded()
    {
        const int limit = 50, impressions = 80;
        var clock = new ManualClock(T0.AddDays(-1));
        using var driver = new GroupTestDriver(OutcomesTopology.Build(Streams, Experiment(limit), clock: clock), Streams);
        var events = new List<SessionEvent> { View("s1", T0) };
        events.AddRange(Enumerable.Range(0, impressions).Select(n => Impression("s1", n, T0.AddSeconds(n + 1))));
        events.Add(View("s2", T0.AddMinutes(1))); // another session of the partition, after the flood

        RunToTheEnd(driver, Streams, clock, events);

        var log = driver.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s1")!;
        Assert.Equal(limit, log.Events.Count);
        Assert.True(OutcomesTopology.SessionLogCodec.Encode(log).Length <= Streams.MaxStateRecordBytes);
        var refused = driver.DeadLetters.Where(d => d.Kind == OutcomesTopology.SessionTooLarge).ToArray();
        Assert.Equal(Enumerable.Range(limit, 1 + impressions - limit).Select(o => (OutcomesTopology.SessionEventsTopic(Streams), (long)o, (string?)"s1")),
            refused.Select(d => (d.SourceTopic, d.SourceOffset, d.Key)));
        Assert.All(refused, d => Assert.Contains("Experiment:MaxSessionEvents", d.Reason));

        // The session's figures are what its log holds, bounded, and the aggregator took them: nothing else is dead-lettered.
        var outcome = LastOutcome(driver, Streams, "s1");
        Assert.Equal(limit - 1, outcome.Engagement.Impressions);
        Assert.Equal(SessionEngagement.MaxModels, outcome.Engagement.Models.Count);
        Assert.Equal(SessionEngagement.MaxAddOns, outcome.Engagement.AddOns.Count);
        Assert.Equal(refused.Length, driver.DeadLetters.Count);
        Assert.Equal(outcome, driver.Store<SessionOutcome>(TopologyNames.AovSessionsStore).Get($"xsell-test/{outcome.SessionKey}"));
        Assert.Equal("s2", LastOutcome(driver, Streams, "s2").SessionId);
    }

    [Fact]
    public void A_session_event_that_would_take_the_log_above_the_state_budget_is_dead_lettered_before_the_windows_count_it()
    {
        var streams = new StreamsOptions { StateStore = StateStoreKind.InMemory, MaxStateRecordBytes = 16 * 1024 };
        var clock = new ManualClock(T0.AddDays(-1));
        using var driver = new GroupTestDriver(OutcomesTopology.Build(streams, Experiment(), clock: clock), streams);
        // Orders of four lines, each line's sku and source at their longest and escaped: some 6 KB of log each.
        SessionEvent Order(int n) => new()
        {
            Kind = SessionEvent.OrderCompleted, SessionId = "s1", OrderId = "o" + n, Timestamp = T0.AddMinutes(n + 1),
            Lines = [.. Enumerable.Range(0, 4).Select(l => new SessionEventLine(Escaped(10 * n + l, 128), 1, 10m, Escaped(l, 128)))],
        };

        RunToTheEnd(driver, streams, clock, [View("s1", T0), Order(0), Order(1), Order(2), Order(3)]);

        var log = driver.Store<SessionLog>(TopologyNames.SessionWindowsStore).Get("s1")!;
        Assert.True(OutcomesTopology.SessionLogCodec.Encode(log).Length <= streams.MaxStateRecordBytes);
        var refused = driver.DeadLetters;
        Assert.NotEmpty(refused);
        Assert.All(refused, d => Assert.Equal((OutcomesTopology.SessionTooLarge, OutcomesTopology.SessionEventsTopic(streams)), (d.Kind, d.SourceTopic)));
        Assert.All(refused, d => Assert.Contains("Streams:MaxStateRecordBytes", d.Reason));
        // What was refused is in no figure: the outcome counts exactly the orders the log holds.
        var logged = log.Events.Count(e => e.Event.Kind == SessionEvent.OrderCompleted);
        Assert.Equal(4 - refused.Count, logged);
        Assert.InRange(logged, 1, 3);
        Assert.Equal((logged, logged * 40m), (LastOutcome(driver, streams, "s1").Orders, LastOutcome(driver, streams, "s1").Revenue));
    }

    [Fact]
    public void The_outcome_of_a_session_at_its_engagement_limits_fits_what_the_aggregator_reads()
    {
        // Every name at its longest and escaped: the largest outcome the session windows can send.
        var id = Escaped(1, ContractValidation.MaxIdLength);
        var outcome = new SessionOutcome
        {
            SessionKey = id + "@-62135596800000", SessionId = id, SubjectId = Escaped(2, ContractValidation.MaxIdLength), ExperimentId = Escaped(3, 128),
            Salt = Escaped(4, 64), HoldoutShare = 0.123456789012345, Cohort = Cohort.Holdout, ExposedAt = DateTimeOffset.MaxValue, WindowStart = DateTimeOffset.MinValue,
            WindowEnd = DateTimeOffset.MaxValue, Revenue = decimal.MinValue, Orders = int.MinValue, CrossSellLines = int.MinValue, CrossSellRevenue = decimal.MinValue,
            Revision = int.MinValue,
            Engagement = new SessionEngagement
            {
                Impressions = int.MinValue, WidgetAdds = int.MinValue, Clicks = int.MinValue,
                PositionImpressions = [int.MinValue, int.MinValue, int.MinValue], PositionClicks = [int.MinValue, int.MinValue, int.MinValue],
                AddOns = [.. Enumerable.Range(0, SessionEngagement.MaxAddOns).Select(i => new AddOnEngagement(Escaped(i, 128), int.MinValue, int.MinValue, int.MinValue))],
                Models = [.. Enumerable.Range(0, SessionEngagement.MaxModels).Select(i => new ModelEngagement(Escaped(i, 128), int.MinValue, int.MinValue, int.MinValue))],
            },
        };

        var bytes = OutcomesTopology.UpsertCodec.Encode(new OutcomeUpsert(outcome.ExperimentId, outcome.SessionKey, outcome)).Length;

        Assert.True(bytes <= new StreamsOptions().MaxRecordBytes - 8 * 1024, $"{bytes} bytes"); // and room for a longer salt
    }

    [Fact]
    public void The_cheap_bound_of_a_session_log_is_never_below_its_encoding()
    {
        var longest = Escaped(7, 128);
        var events = new List<LoggedSessionEvent>();
        for (var i = 0; i < 20; i++)
            events.Add(new LoggedSessionEvent(long.MinValue, DateTimeOffset.MaxValue, new SessionEvent
            {
                Kind = "\u2028" + Escaped(i, 20), SessionId = longest, VisitorId = longest, CartId = longest, EventId = longest, OrderId = longest, Sku = longest,
                ModelVersion = longest, Origin = "\u2028" + longest, ValueVersion = long.MinValue, Timestamp = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(9_999_999),
                Skus = [longest, longest, longest],
                Lines = [.. Enumerable.Range(0, 10).Select(l => new SessionEventLine(longest, int.MinValue, -7.9228162514264337593543950335m, longest))],
            }));
        var log = new SessionLog { SessionId = longest, Events = events };

        Assert.True(log.EncodedBytesAtMost() >= OutcomesTopology.SessionLogCodec.Encode(log).Length,
            $"bound {log.EncodedBytesAtMost()}, encoded {OutcomesTopology.SessionLogCodec.Encode(log).Length}");
    }

    [Fact]
    public void The_state_budget_leaves_room_under_what_the_producer_sends()
    {
        // Room for the key, the framing and what a cart may add beyond it (its remembered event ids) under the producer's limit.
        Assert.InRange(new StreamsOptions().MaxStateRecordBytes, 64 * 1024, 3 * ProducerLimit / 5);
        Assert.Throws<OptionsValidationException>(() => new StreamsOptions { MaxStateRecordBytes = ProducerLimit }.Validate());
        Assert.Throws<OptionsValidationException>(() => new StreamsOptions { MaxStateRecordBytes = 1024 }.Validate());
        Assert.Throws<OptionsValidationException>(() => Experiment(0).Validate());
    }
}
