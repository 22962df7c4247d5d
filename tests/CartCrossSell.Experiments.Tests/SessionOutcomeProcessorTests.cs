namespace CartCrossSell.Experiments.Tests;

public sealed class SessionOutcomeProcessorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentConfig Experiment = new("cart-xsell-2026", "s3cr3t", 0.10);

    private static SessionOutcomeProcessor NewProcessor(int gapMinutes = 30, int graceMinutes = 15) =>
        new(Experiment, new SessionWindowOptions { InactivityGap = TimeSpan.FromMinutes(gapMinutes), Grace = TimeSpan.FromMinutes(graceMinutes) });

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    private static CartViewedEvent View(string session, double minutes, string? visitor = "visitor-1") => new(session, visitor, At(minutes));

    private static OrderCompletedEvent Order(string session, double minutes, string orderId, params ExperimentOrderLine[] lines) =>
        new(session, "visitor-1", At(minutes), orderId, lines);

    private static ExperimentOrderLine Line(decimal price, int quantity = 1, string source = "storefront") => new("sku", quantity, price, source);

    private static ExperimentOrderLine CrossSell(decimal price) => new("add-on", 1, price, ExperimentOrderLine.CrossSellWidgetSource);

    [Fact]
    public void Defaults_are_a_thirty_minute_gap_and_fifteen_minute_grace()
    {
        var options = new SessionWindowOptions();
        Assert.Equal(TimeSpan.FromMinutes(30), options.InactivityGap);
        Assert.Equal(TimeSpan.FromMinutes(15), options.Grace);
    }

    [Fact]
    public void A_session_is_emitted_once_it_has_been_inactive_for_the_gap()
    {
        var processor = NewProcessor();
        Assert.Empty(processor.Process(View("s1", 0)).Changes);
        Assert.Empty(processor.Process(Order("s1", 10, "o1", Line(40m, 2), CrossSell(15m))).Changes);
        Assert.Empty(processor.AdvanceTo(At(39.99)));

        var change = Assert.Single(processor.AdvanceTo(At(40)));
        Assert.Equal(SessionChangeKind.Closed, change.Kind);
        Assert.Null(change.Previous);
        var outcome = change.Current!;
        Assert.Equal("s1", outcome.SessionId);
        Assert.Equal(change.SessionKey, outcome.SessionKey);
        Assert.Equal("visitor-1", outcome.SubjectId);
        Assert.Equal(Experiment.Assign("visitor-1", "s1"), outcome.Cohort);
        Assert.Equal("cart-xsell-2026", outcome.ExperimentId);
        Assert.Equal(0.10, outcome.HoldoutShare);
        Assert.Equal(At(0), outcome.ExposedAt);
        Assert.Equal(At(0), outcome.WindowStart);
        Assert.Equal(At(10), outcome.WindowEnd);
        Assert.Equal(95m, outcome.Revenue);
        Assert.Equal(1, outcome.Orders);
        Assert.Equal(1, outcome.CrossSellLines);
        Assert.Equal(15m, outcome.CrossSellRevenue);
        Assert.True(outcome.AcceptedCrossSell);
        Assert.Equal(0, outcome.Revision);

        // Emitted once: later time alone emits nothing more.
        Assert.Empty(processor.AdvanceTo(At(500)));
        Assert.Equal(0, processor.LiveWindows);
    }

    [Fact]
    public void Events_less_than_a_gap_apart_share_a_session_and_a_gap_or_more_starts_a_new_one()
    {
        var processor = NewProcessor();
        Assert.Empty(processor.Process(View("s1", 0)).Changes);
        Assert.Empty(processor.Process(View("s1", 29.9)).Changes);
        Assert.Empty(processor.Process(Order("s1", 59.8, "o1", Line(10m))).Changes);
        // Exactly one gap after the last event: a new session, and its event time closes the first one.
        var changes = processor.Process(View("s1", 89.8)).Changes.Concat(processor.AdvanceTo(At(1_000))).ToList();

        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.Equal(SessionChangeKind.Closed, c.Kind));
        Assert.Equal(At(0), changes[0].Current!.WindowStart);
        Assert.Equal(At(59.8), changes[0].Current!.WindowEnd);
        Assert.Equal(10m, changes[0].Current!.Revenue);
        Assert.Equal(At(89.8), changes[1].Current!.ExposedAt);
        Assert.Equal(0m, changes[1].Current!.Revenue);
        Assert.Equal(0, changes[1].Current!.Orders);
        Assert.False(changes[1].Current!.AcceptedCrossSell);
        Assert.NotEqual(changes[0].SessionKey, changes[1].SessionKey);
    }

    [Fact]
    public void A_session_that_never_viewed_the_cart_emits_nothing()
    {
        var processor = NewProcessor();
        processor.Process(Order("s1", 0, "o1", Line(99m)));
        processor.Process(Order("s2", 1, "o2", Line(5m)));
        Assert.Empty(processor.AdvanceTo(At(1_000)));
        Assert.Equal(0, processor.LiveWindows);
    }

    [Fact]
    public void Orders_before_the_cart_view_in_the_same_session_count_and_exposure_is_the_first_view()
    {
        var processor = NewProcessor();
        processor.Process(Order("s1", 0, "o1", Line(20m)));
        processor.Process(View("s1", 5, visitor: null));
        processor.Process(View("s1", 7, visitor: "visitor-late"));
        var outcome = Assert.Single(processor.AdvanceTo(At(100))).Current!;
        Assert.Equal(20m, outcome.Revenue);
        Assert.Equal(At(5), outcome.ExposedAt);
        Assert.Equal(At(0), outcome.WindowStart);
        // The first view had no visitor id, so the storefront hashed the session id then.
        Assert.Equal("s1", outcome.SubjectId);
        Assert.Equal(Experiment.Assign(null, "s1"), outcome.Cohort);
    }

    [Fact]
    public void A_late_event_within_grace_revises_the_outcome_under_the_same_key()
    {
        var processor = NewProcessor();
        processor.Process(View("s1", 0));
        processor.Process(Order("s1", 5, "o1", Line(100m)));
        var first = Assert.Single(processor.AdvanceTo(At(40))).Current!;
        Assert.Equal(100m, first.Revenue);

        // Stream time 40; the window ended at 5 and stays revisable until 5 + 30 + 15 = 50.
        var result = processor.Process(Order("s1", 10, "o2", CrossSell(25m)));
        Assert.Equal(EventDisposition.Accepted, result.Disposition);
        var revision = Assert.Single(result.Changes);
        Assert.Equal(SessionChangeKind.Revised, revision.Kind);
        Assert.Equal(first.SessionKey, revision.SessionKey);
        Assert.Same(first, revision.Previous);
        Assert.Equal(125m, revision.Current!.Revenue);
        Assert.Equal(2, revision.Current.Orders);
        Assert.True(revision.Current.AcceptedCrossSell);
        Assert.Equal(1, revision.Current.Revision);
        Assert.Equal(0, processor.DroppedLateEvents);
    }

    [Fact]
    public void A_late_event_beyond_grace_is_dropped_and_counted()
    {
        var processor = NewProcessor();
        processor.Process(View("s1", 0));
        processor.Process(Order("s1", 5, "o1", Line(100m)));
        Assert.Single(processor.AdvanceTo(At(50)));

        var result = processor.Process(Order("s1", 10, "o2", Line(25m)));
        Assert.Equal(EventDisposition.DroppedLate, result.Disposition);
        Assert.Empty(result.Changes);
        Assert.Equal(1, processor.DroppedLateEvents);

        // Even after the window has been forgotten, an event that would have joined it is still late.
        processor.AdvanceTo(At(60));
        Assert.Equal(EventDisposition.DroppedLate, processor.Process(View("s1", 34)).Disposition);
        // A brand-new session so old that its own window is past grace is late too.
        Assert.Equal(EventDisposition.DroppedLate, processor.Process(View("s9", 14)).Disposition);
        Assert.Equal(3, processor.DroppedLateEvents);
        Assert.Empty(processor.AdvanceTo(At(1_000)));
    }

    [Fact]
    public void A_late_new_session_still_inside_its_grace_is_emitted_at_once()
    {
        var processor = NewProcessor();
        processor.AdvanceTo(At(100));
        // 60 + 30 <= 100 < 60 + 30 + 15: already inactive, not yet final.
        var result = processor.Process(View("s2", 60));
        Assert.Equal(EventDisposition.Accepted, result.Disposition);
        var change = Assert.Single(result.Changes);
        Assert.Equal(SessionChangeKind.Closed, change.Kind);
        Assert.Equal(At(60), change.Current!.ExposedAt);
    }

    [Fact]
    public void A_late_cart_view_turns_an_unexposed_session_into_an_outcome()
    {
        var processor = NewProcessor();
        processor.Process(Order("s1", 0, "o1", Line(30m)));
        Assert.Empty(processor.AdvanceTo(At(40)));
        var change = Assert.Single(processor.Process(View("s1", 1)).Changes);
        Assert.Equal(SessionChangeKind.Closed, change.Kind);
        Assert.Equal(30m, change.Current!.Revenue);
    }

    [Fact]
    public void A_late_event_that_bridges_two_emitted_sessions_retracts_one_and_revises_the_other()
    {
        var processor = NewProcessor(gapMinutes: 30, graceMinutes: 60);
        var closed = new ExperimentEvent[] { View("s1", 0), Order("s1", 2, "o1", Line(10m)), View("s1", 40), Order("s1", 41, "o2", Line(20m)) }
            .SelectMany(e => processor.Process(e).Changes)
            .ToList();
        closed.AddRange(processor.AdvanceTo(At(75)));
        Assert.Equal(2, closed.Count);
        var early = closed[0].Current!;
        var late = closed[1].Current!;

        var changes = processor.Process(Order("s1", 20, "o3", Line(5m))).Changes;
        Assert.Equal(2, changes.Count);
        Assert.Equal(SessionChangeKind.Retracted, changes[0].Kind);
        Assert.Same(late, changes[0].Previous);
        Assert.Null(changes[0].Current);
        Assert.Equal(SessionChangeKind.Revised, changes[1].Kind);
        Assert.Equal(early.SessionKey, changes[1].SessionKey);
        var merged = changes[1].Current!;
        Assert.Equal(35m, merged.Revenue);
        Assert.Equal(3, merged.Orders);
        Assert.Equal(At(0), merged.ExposedAt);
        Assert.Equal(At(41), merged.WindowEnd);
    }

    [Fact]
    public void A_late_event_that_reopens_a_session_defers_the_revision_until_it_closes_again()
    {
        var processor = NewProcessor(gapMinutes: 30, graceMinutes: 60);
        processor.Process(View("s1", 0));
        var first = Assert.Single(processor.AdvanceTo(At(35))).Current!;
        // End moves to 20: the session is active again until 50.
        Assert.Empty(processor.Process(Order("s1", 20, "o1", Line(12m))).Changes);
        Assert.Empty(processor.AdvanceTo(At(49)));
        var revision = Assert.Single(processor.AdvanceTo(At(50)));
        Assert.Equal(SessionChangeKind.Revised, revision.Kind);
        Assert.Equal(first.SessionKey, revision.SessionKey);
        Assert.Equal(12m, revision.Current!.Revenue);
    }

    [Fact]
    public void A_redelivered_order_counts_once_and_a_change_that_alters_nothing_emits_nothing()
    {
        var processor = NewProcessor();
        processor.Process(View("s1", 0));
        processor.Process(Order("s1", 3, "o1", Line(50m)));
        Assert.Equal(EventDisposition.Duplicate, processor.Process(Order("s1", 3, "o1", Line(50m))).Disposition);
        var outcome = Assert.Single(processor.AdvanceTo(At(40))).Current!;
        Assert.Equal(50m, outcome.Revenue);

        // Redelivered after emission: still nothing; a second view inside the window changes no figure either.
        Assert.Empty(processor.Process(Order("s1", 3, "o1", Line(50m))).Changes);
        Assert.Empty(processor.Process(View("s1", 2)).Changes);
    }

    [Fact]
    public void Sessions_are_independent_per_session_id_and_stream_time_never_goes_back()
    {
        var processor = NewProcessor();
        processor.Process(View("a", 0));
        processor.Process(View("b", 10));
        processor.AdvanceTo(At(35));
        Assert.Equal(At(35), processor.StreamTime);
        processor.AdvanceTo(At(1));
        Assert.Equal(At(35), processor.StreamTime);
        var changes = processor.AdvanceTo(At(40));
        Assert.Equal("b", Assert.Single(changes).Current!.SessionId);
        // Both are emitted, and both are still held for their grace (a until 45, b until 55).
        Assert.Equal(2, processor.LiveWindows);
        processor.AdvanceTo(At(45));
        Assert.Equal(1, processor.LiveWindows);
    }

    [Fact]
    public void Invalid_window_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionOutcomeProcessor(Experiment, new SessionWindowOptions { InactivityGap = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionOutcomeProcessor(Experiment, new SessionWindowOptions { Grace = TimeSpan.FromSeconds(-1) }));
    }
}
