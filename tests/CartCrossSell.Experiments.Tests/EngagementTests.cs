namespace CartCrossSell.Experiments.Tests;

/// <summary>
/// Impressions, click-through per position and acceptance per add-on: the attribution of one session's widget adds to
/// what it was shown, the session windows that hold them (duplicates once, successive versions each), and the
/// aggregator's difference arithmetic and bounded add-on list.
/// </summary>
public sealed class EngagementTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentConfig Experiment = new("cart-xsell-2026", "s3cr3t", 0.10);

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    private static ImpressionShownEvent Shown(double minutes, long version, params string[] skus) =>
        new("s1", "visitor-1", At(minutes), "cart-1", version, skus, "rk-1");

    private static WidgetAddEvent Add(double minutes, string eventId, string sku) => new("s1", "visitor-1", At(minutes), eventId, sku);

    private static ExperimentOrderLine WidgetLine(string sku) => new(sku, 1, 4m, ExperimentOrderLine.CrossSellWidgetSource);

    [Fact]
    public void An_add_is_credited_to_the_latest_showing_of_its_sku_at_its_position_and_a_showing_counts_once()
    {
        var engagement = EngagementAttribution.Of(
            [Shown(0, 10, "a", "b", "c"), Shown(5, 11, "b", "d")],
            [
                Add(2, "e1", "b"), // shown at position 2 of version 10
                Add(3, "e2", "b"), // the same showing again: one click
                Add(6, "e3", "b"), // latest showing of b is now version 11, position 1
                Add(7, "e4", "d"), // version 11, position 2
                Add(8, "e5", "zz"), // never shown: a widget add, no click
            ],
            [WidgetLine("d"), WidgetLine("zz"), new ExperimentOrderLine("a", 1, 4m, "storefront")]);

        Assert.Equal(2, engagement.Impressions);
        Assert.Equal([2, 2, 1], engagement.PositionImpressions);
        Assert.Equal([1, 2, 0], engagement.PositionClicks);
        Assert.Equal(5, engagement.WidgetAdds);
        Assert.Equal(3, engagement.Clicks);
        Assert.Equal(
            [new AddOnEngagement("a", 1, 0, 0), new AddOnEngagement("b", 2, 2, 0), new AddOnEngagement("c", 1, 0, 0), new AddOnEngagement("d", 1, 1, 1)],
            engagement.AddOns);
    }

    [Fact]
    public void An_add_that_reaches_the_stream_before_its_impression_is_credited_to_the_earliest_later_showing()
    {
        var engagement = EngagementAttribution.Of([Shown(5, 11, "x", "y"), Shown(9, 12, "y")], [Add(4, "e1", "y")], []);

        Assert.Equal([0, 1, 0], engagement.PositionClicks);
        Assert.Equal(1, engagement.Clicks);
    }

    [Fact]
    public void The_same_version_reported_twice_is_one_impression_a_new_version_is_another_and_a_redelivered_add_counts_once()
    {
        var processor = new SessionOutcomeProcessor(Experiment);
        processor.Process(new CartViewedEvent("s1", "visitor-1", At(0)));
        Assert.Equal(EventDisposition.Accepted, processor.Process(Shown(1, 10, "a", "b")).Disposition);
        Assert.Equal(EventDisposition.Duplicate, processor.Process(Shown(2, 10, "a", "b")).Disposition); // a page reload
        Assert.Equal(EventDisposition.Accepted, processor.Process(Shown(3, 11, "a", "b")).Disposition); // the cart changed: a new value
        Assert.Equal(EventDisposition.Accepted, processor.Process(Add(4, "e1", "a")).Disposition);
        Assert.Equal(EventDisposition.Duplicate, processor.Process(Add(4, "e1", "a")).Disposition);

        var outcome = Assert.Single(processor.AdvanceTo(At(200))).Current!;

        Assert.Equal(2, outcome.Engagement.Impressions);
        Assert.Equal([2, 2, 0], outcome.Engagement.PositionImpressions);
        Assert.Equal([1, 0, 0], outcome.Engagement.PositionClicks);
        Assert.Equal(1, outcome.Engagement.WidgetAdds);
        Assert.Equal(At(4), outcome.WindowEnd); // impressions and adds are activity of the session
    }

    [Fact]
    public void A_late_impression_revises_the_session_and_one_that_changes_nothing_emits_nothing()
    {
        var processor = new SessionOutcomeProcessor(Experiment);
        processor.Process(new CartViewedEvent("s1", "visitor-1", At(0)));
        processor.Process(Add(1, "e1", "a"));
        var closed = Assert.Single(processor.AdvanceTo(At(31)));
        Assert.Equal(0, closed.Current!.Engagement.Clicks);

        var revised = Assert.Single(processor.Process(Shown(0.5, 10, "a")).Changes.Concat(processor.AdvanceTo(At(40))));
        Assert.Equal(SessionChangeKind.Revised, revised.Kind);
        Assert.Equal(1, revised.Current!.Engagement.Clicks);
        Assert.Equal(closed.Current, revised.Previous);

        Assert.Equal(EventDisposition.Duplicate, processor.Process(Shown(0.6, 10, "a")).Disposition);
        Assert.Empty(processor.AdvanceTo(At(44)));
    }

    private static SessionOutcome Outcome(string key, Cohort cohort, SessionEngagement engagement) => new()
    {
        SessionKey = key, SessionId = key, SubjectId = key, ExperimentId = "e", Salt = "s", HoldoutShare = 0.5, Cohort = cohort,
        ExposedAt = T0, WindowStart = T0, WindowEnd = T0, Revenue = 10m, Orders = 1, CrossSellLines = 0, CrossSellRevenue = 0m,
        Engagement = engagement,
    };

    private static SessionEngagement Engagement(params (string Sku, int Impressions, int Clicks)[] skus) => new()
    {
        Impressions = skus.Max(s => s.Impressions), PositionImpressions = [skus.Max(s => s.Impressions), 0, 0],
        PositionClicks = [skus.Sum(s => s.Clicks), 0, 0], WidgetAdds = skus.Sum(s => s.Clicks), Clicks = skus.Sum(s => s.Clicks),
        AddOns = skus.Select(s => new AddOnEngagement(s.Sku, s.Impressions, s.Clicks, 0)).ToArray(),
    };

    private static readonly AggregateKey Total = new("e", "s", WindowKind.Total, AggregateKey.TotalKeyStart);

    [Fact]
    public void A_revision_moves_the_engagement_sums_and_the_add_on_table_by_the_difference_and_a_retraction_takes_it_all_back()
    {
        var aggregator = new AovAggregator();
        var first = Outcome("k1", Cohort.Treatment, Engagement(("a", 2, 1), ("b", 1, 0)));
        var revised = Outcome("k1", Cohort.Treatment, Engagement(("a", 3, 1), ("c", 1, 1)));
        aggregator.Apply(SessionOutcomeChange.Closed(first), T0);
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("k2", Cohort.Treatment, Engagement(("a", 1, 1)))), T0);
        var aggregate = Assert.Single(aggregator.Apply(SessionOutcomeChange.Revised(first, revised), T0), a => a.Window == WindowKind.Total);

        var (treatment, _) = aggregator.SumsOf(Total)!.Value;
        Assert.Equal(4, treatment.Engagement.Impressions); // 3 + 1: the first revision's 2 subtracted
        Assert.Equal(2, treatment.Engagement.ImpressedSessions);
        Assert.Equal(3, treatment.Engagement.Clicks);
        var addOns = aggregator.AddOnsOf(Total)!.Value.Treatment;
        Assert.Equal(new AddOnSums(4, 2, 0), addOns["a"]);
        Assert.Equal(default, addOns["b"]);
        Assert.Equal(2, addOns.Count); // b went back to zero and is forgotten
        Assert.Equal(3.0 / 4, aggregate.Treatment.Engagement!.Positions[0].ClickThrough);
        Assert.Equal(0.5, aggregate.Treatment.Engagement.AddOns.Single(a => a.Sku == "a").Acceptance);

        aggregator.Apply(SessionOutcomeChange.Retracted(revised), T0);
        aggregator.Apply(SessionOutcomeChange.Retracted(Outcome("k2", Cohort.Treatment, Engagement(("a", 1, 1)))), T0);
        Assert.Equal(default, aggregator.SumsOf(Total)!.Value.Treatment.Engagement);
        Assert.Equal(0, aggregator.AddOnsOf(Total)!.Value.Treatment.Count);
    }

    [Fact]
    public void The_published_add_ons_are_the_most_shown_and_one_other_row_sums_the_rest_exactly()
    {
        var aggregator = new AovAggregator(new AovAggregatorOptions { MaxAddOns = 2 });
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("k1", Cohort.Treatment, Engagement(("a", 5, 1), ("b", 2, 0), ("c", 7, 2), ("d", 1, 1)))), T0);

        var published = aggregator.Snapshot(T0).Single(a => a.Window == WindowKind.Total).Treatment.Engagement!;

        Assert.Equal(["c", "a"], published.AddOns.Select(a => a.Sku));
        Assert.Equal(new AddOnStats(AovStatistics.OtherAddOnsSku, 3, 1, 0, 1.0 / 3), published.Other);
        Assert.Equal(2, published.OtherSkus);
        Assert.Null(new AovAggregator().Snapshot(T0).SingleOrDefault()); // nothing in, nothing out
    }

    [Fact]
    public void Engagement_sums_add_and_subtract_exactly_and_a_retraction_of_more_than_was_added_is_inconsistent()
    {
        var one = CohortSums.Of(Outcome("k1", Cohort.Treatment, Engagement(("a", 2, 1))));
        var two = CohortSums.Of(Outcome("k2", Cohort.Treatment, Engagement(("b", 3, 2))));

        Assert.Equal(one, one + two - two);
        Assert.Equal(5, (one + two).Engagement.Position1Impressions);
        Assert.Equal(3, (one + two).Engagement.ClicksAt(1));
        Assert.True((one - two).IsInconsistent);
        Assert.Equal(default, CohortSums.Of(Outcome("k3", Cohort.Holdout, SessionEngagement.None)).Engagement);
    }
}
