namespace CartCrossSell.Experiments.Tests;

/// <summary>
/// Impressions, click-through per position, acceptance per add-on and click-through per model version: the attribution
/// of one session's widget adds to what it was shown, the session windows that hold them (duplicates once, successive
/// versions each), and the aggregator's difference arithmetic and bounded add-on and model lists.
/// </summary>
public sealed class EngagementTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentConfig Experiment = new("cart-xsell-2026", "s3cr3t", 0.10);

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    private static ImpressionShownEvent Shown(double minutes, long version, params string[] skus) => Ranked("rk-1", minutes, version, skus);

    private static ImpressionShownEvent Ranked(string model, double minutes, long version, params string[] skus) =>
        new("s1", "visitor-1", At(minutes), "cart-1", version, skus, model);

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
    public void Each_model_version_counts_the_impressions_it_ranked_and_the_clicks_credited_to_its_showings()
    {
        var engagement = EngagementAttribution.Of(
            [Ranked("rk-2", 0, 10, "a", "b", "c"), Ranked("heuristic", 5, 11, "b", "d"), Ranked("rk-2", 9, 12, "e"), Ranked("", 12, 13, "f")],
            [
                Add(2, "e1", "a"), // rk-2's version 10
                Add(6, "e2", "b"), // b was shown by both: the latest showing is the heuristic's version 11
                Add(7, "e3", "b"), // that showing again: no second click for anyone
                Add(8, "e4", "c"), // only rk-2 showed c
                Add(13, "e5", "zz"), // never shown: no model is credited
            ],
            [WidgetLine("b")]);

        // Ordinal order; a version an old session event lacked is its own row.
        Assert.Equal(
            [new ModelEngagement(ModelEngagement.Unknown, 1, 1, 0), new ModelEngagement("heuristic", 1, 2, 1), new ModelEngagement("rk-2", 2, 4, 2)],
            engagement.Models);
        Assert.Equal(engagement.Impressions, engagement.Models.Sum(m => m.Impressions));
        Assert.Equal(engagement.PositionImpressions.Sum(), engagement.Models.Sum(m => m.AddOnsShown));
        Assert.Equal(engagement.Clicks, engagement.Models.Sum(m => m.Clicks));
        // The same sets in another order: the same split.
        Assert.Equal(engagement, EngagementAttribution.Of(
            [Ranked("", 12, 13, "f"), Ranked("rk-2", 9, 12, "e"), Ranked("heuristic", 5, 11, "b", "d"), Ranked("rk-2", 0, 10, "a", "b", "c")],
            [Add(13, "e5", "zz"), Add(8, "e4", "c"), Add(7, "e3", "b"), Add(6, "e2", "b"), Add(2, "e1", "a")],
            [WidgetLine("b")]));
        Assert.NotEqual(engagement, new SessionEngagement
        {
            Impressions = engagement.Impressions, PositionImpressions = engagement.PositionImpressions, PositionClicks = engagement.PositionClicks,
            WidgetAdds = engagement.WidgetAdds, Clicks = engagement.Clicks, AddOns = engagement.AddOns,
        });
    }

    [Fact]
    public void A_session_keeps_rows_for_the_first_model_versions_and_skus_shown_and_counts_the_rest_in_its_totals()
    {
        // A client choosing its own versions and skus: one impression each, a new version and three new skus every time.
        var impressions = Enumerable.Range(0, 40)
            .Select(i => Ranked($"v{i:D2}", i, 100 + i, $"sku{3 * i:D3}", $"sku{3 * i + 1:D3}", $"sku{3 * i + 2:D3}")).ToArray();
        var adds = new[] { Add(0.5, "e-first", "sku000"), Add(39.5, "e-last", "sku119") };

        var engagement = EngagementAttribution.Of(impressions.Reverse(), adds, [WidgetLine("sku000"), WidgetLine("sku119")]);

        Assert.Equal(Enumerable.Range(0, SessionEngagement.MaxModels).Select(i => $"v{i:D2}"), engagement.Models.Select(m => m.ModelVersion));
        Assert.Equal(Enumerable.Range(0, SessionEngagement.MaxAddOns).Select(i => $"sku{i:D3}"), engagement.AddOns.Select(a => a.Sku));
        // The totals are the whole session's: every impression, position and credited click.
        Assert.Equal((40, 2, 2), (engagement.Impressions, engagement.Clicks, engagement.WidgetAdds));
        Assert.Equal([40, 40, 40], engagement.PositionImpressions);
        Assert.Equal([1, 0, 1], engagement.PositionClicks);
        // The first showing's click and ordered line are in its rows; the last showing has none.
        Assert.Equal(new AddOnEngagement("sku000", 1, 1, 1), engagement.AddOns[0]);
        Assert.Equal(new ModelEngagement("v00", 1, 3, 1), engagement.Models[0]);
        Assert.Equal(1, engagement.Models.Sum(m => m.Clicks));
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

    /// <summary>One session's engagement split by model version: (version, impressions, add-ons shown, clicks).</summary>
    private static SessionEngagement Split(params (string Version, int Impressions, int Shown, int Clicks)[] models) => new()
    {
        Impressions = models.Sum(m => m.Impressions), PositionImpressions = [models.Sum(m => m.Shown), 0, 0],
        PositionClicks = [models.Sum(m => m.Clicks), 0, 0], WidgetAdds = models.Sum(m => m.Clicks), Clicks = models.Sum(m => m.Clicks),
        Models = models.Select(m => new ModelEngagement(m.Version, m.Impressions, m.Shown, m.Clicks)).ToArray(),
    };

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

    [Fact]
    public void A_revision_moves_the_model_table_by_the_difference_and_a_retraction_takes_it_all_back()
    {
        var aggregator = new AovAggregator();
        var first = Outcome("k1", Cohort.Treatment, Split(("rk-1", 2, 4, 1), ("heuristic", 1, 3, 0)));
        var revised = Outcome("k1", Cohort.Treatment, Split(("rk-1", 3, 6, 2)));
        var other = Outcome("k2", Cohort.Treatment, Split(("rk-1", 1, 2, 1), ("rk-2", 1, 1, 0)));
        aggregator.Apply(SessionOutcomeChange.Closed(first), T0);
        aggregator.Apply(SessionOutcomeChange.Closed(other), T0);
        var aggregate = Assert.Single(aggregator.Apply(SessionOutcomeChange.Revised(first, revised), T0), a => a.Window == WindowKind.Total);

        var models = aggregator.ModelsOf(Total)!.Value.Treatment;
        Assert.Equal(new ModelSums(4, 8, 3), models["rk-1"]); // 3 + 1 impressions: the first revision's 2 subtracted
        Assert.Equal(new ModelSums(1, 1, 0), models["rk-2"]);
        Assert.Equal(default, models["heuristic"]);
        Assert.Equal(2, models.Count); // the heuristic went back to zero and is forgotten
        Assert.Equal(new ModelStats("rk-1", 4, 8, 3, 3.0 / 8), aggregate.Treatment.Engagement!.Models[0]);
        Assert.Equal(0, aggregator.ModelsOf(Total)!.Value.Holdout.Count);

        aggregator.Apply(SessionOutcomeChange.Retracted(revised), T0);
        aggregator.Apply(SessionOutcomeChange.Retracted(other), T0);
        Assert.Equal(0, aggregator.ModelsOf(Total)!.Value.Treatment.Count);
        // Taking away what was never added is a topology bug, not a figure.
        Assert.Throws<InvalidOperationException>(() => new ModelTable().Apply(Split(("rk-1", 1, 1, 0)), retract: true));
    }

    [Fact]
    public void The_published_model_versions_are_those_with_the_most_impressions_and_one_other_row_sums_the_rest_exactly()
    {
        var aggregator = new AovAggregator(new AovAggregatorOptions { MaxModelVersions = 2 });
        aggregator.Apply(SessionOutcomeChange.Closed(Outcome("k1", Cohort.Treatment,
            Split(("rk-1", 5, 10, 1), ("rk-2", 7, 14, 2), ("rk-3", 2, 6, 0), ("heuristic", 5, 5, 3), ("rk-0", 1, 3, 1)))), T0);

        var published = aggregator.Snapshot(T0).Single(a => a.Window == WindowKind.Total).Treatment.Engagement!;

        Assert.Equal(["rk-2", "heuristic"], published.Models.Select(m => m.ModelVersion)); // 5 impressions each: more clicks first
        Assert.Equal(2.0 / 14, published.Models[0].ClickThrough);
        Assert.Equal(new ModelStats(AovStatistics.OtherModelsVersion, 8, 19, 2, 2.0 / 19), published.OtherModels);
        Assert.Equal(3, published.OtherModelVersions);
        Assert.Empty(published.AddOns); // the add-on list is its own table with its own limit
        Assert.Throws<ArgumentOutOfRangeException>(() => new AovAggregator(new AovAggregatorOptions { MaxModelVersions = -1 }));
    }
}
