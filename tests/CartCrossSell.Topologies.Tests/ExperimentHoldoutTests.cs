using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

/// <summary>The cart recommender's side of the experiment: holdout carts are computed and rendered as nothing.</summary>
public sealed class ExperimentHoldoutTests
{
    private static readonly ExperimentOptions Experiment = new() { ExperimentId = "xsell-test", Salt = "pepper", HoldoutShare = 0.10 };

    private static string VisitorIn(Cohort cohort) =>
        Enumerable.Range(0, 1000).Select(i => $"visitor-{i}").First(v => Experiment.Config.Assign(v, "unused") == cohort);

    private static (CapturingSink Sink, GroupTestDriver Driver) Recommender(ExperimentOptions experiment)
    {
        var sink = new CapturingSink();
        var streams = new StreamsOptions { StateStore = StateStoreKind.InMemory };
        var group = CartRecommenderTopology.Build(streams, new RecommenderOptions(), Store.Catalog(), Store.Learned(), sink, experiment);
        return (sink, new GroupTestDriver(group, streams));
    }

    private static void FillCart(GroupTestDriver driver, string cartId, string? visitorId)
    {
        driver.Pipe(Topics.CartEvents, cartId, Store.Added(cartId, "running-shoes", 1, 120m) with { VisitorId = visitorId }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, cartId, Store.Added(cartId, "socks", 1, 12m) with { VisitorId = visitorId }, ContractCodecs.CartEvent);
    }

    [Fact]
    public void A_holdout_visitor_gets_an_empty_list_marked_holdout_with_what_would_have_been_shown_withheld()
    {
        var holdoutVisitor = VisitorIn(Cohort.Holdout);
        var (sink, driver) = Recommender(Experiment);
        var (unmeasured, reference) = Recommender(new ExperimentOptions { Enabled = false });

        FillCart(driver, "c1", holdoutVisitor);
        FillCart(reference, "c1", holdoutVisitor);

        var value = sink.Latest("c1");
        Assert.Equal(Cohorts.Holdout, value.Cohort);
        Assert.Equal("xsell-test", value.ExperimentId);
        Assert.Empty(value.AddOns);
        var wouldHaveShown = unmeasured.Latest("c1").AddOns.Select(a => a.Sku).ToArray();
        Assert.NotEmpty(wouldHaveShown);
        Assert.Equal(wouldHaveShown, value.WithheldAddOns);
    }

    [Fact]
    public void A_treatment_visitor_sees_the_add_ons_with_the_experiment_id_and_nothing_withheld()
    {
        var (sink, driver) = Recommender(Experiment);

        FillCart(driver, "c1", VisitorIn(Cohort.Treatment));

        var value = sink.Latest("c1");
        Assert.Equal(Cohorts.Treatment, value.Cohort);
        Assert.Equal("xsell-test", value.ExperimentId);
        Assert.NotEmpty(value.AddOns);
        Assert.Null(value.WithheldAddOns);
    }

    [Fact]
    public void Without_a_visitor_id_the_session_id_decides_the_cohort()
    {
        var (sink, driver) = Recommender(Experiment);
        var holdoutSession = Enumerable.Range(0, 1000).Select(i => $"session-{i}").First(s => Experiment.Config.Assign(null, s) == Cohort.Holdout);

        driver.Pipe(Topics.CartEvents, "c9", Store.Added("c9", "running-shoes", 1, 120m) with { SessionId = holdoutSession }, ContractCodecs.CartEvent);

        Assert.Equal(Cohorts.Holdout, sink.Latest("c9").Cohort);
        Assert.Empty(sink.Latest("c9").AddOns);
    }

    private static string SessionIn(Cohort cohort) =>
        Enumerable.Range(0, 1000).Select(i => $"session-{i}").First(s => Experiment.Config.Assign(null, s) == cohort);

    private static CartEvent Viewed(string cartId, string sessionId, string? visitorId) => new()
    {
        EventId = Guid.NewGuid().ToString(), Type = CartEventType.CartViewed, CartId = cartId, SessionId = sessionId,
        VisitorId = visitorId, Timestamp = Store.Now,
    };

    [Fact]
    public void A_shopper_who_logs_in_after_the_first_cart_view_keeps_the_cohort_of_that_view_as_the_analysis_does()
    {
        var (sink, driver) = Recommender(Experiment);
        var session = SessionIn(Cohort.Holdout);
        var visitor = VisitorIn(Cohort.Treatment);

        // Anonymous first view: the session id decides, here and in the analysis (the exposure's ids).
        driver.Pipe(Topics.CartEvents, "c5", Store.Added("c5", "running-shoes", 1, 120m) with { SessionId = session }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c5", Viewed("c5", session, visitorId: null), ContractCodecs.CartEvent);
        // Logged in: the later events carry a visitor id that would hash into the other cohort.
        driver.Pipe(Topics.CartEvents, "c5", Store.Added("c5", "socks", 1, 12m) with { SessionId = session, VisitorId = visitor }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c5", Viewed("c5", session, visitor), ContractCodecs.CartEvent);

        Assert.All(sink.Written.Where(v => v.CartId == "c5"), v => Assert.Equal(Cohorts.Holdout, v.Cohort));
        Assert.Empty(sink.Latest("c5").AddOns);
    }

    [Fact]
    public void A_view_after_the_inactivity_gap_under_the_same_session_id_is_a_new_exposure_as_the_analysis_windows_it()
    {
        var (sink, driver) = Recommender(Experiment);
        var session = SessionIn(Cohort.Holdout);
        var visitor = VisitorIn(Cohort.Treatment);
        var gap = Experiment.InactivityGap;
        var t0 = Store.Now.AddHours(-4);
        CartEvent WidgetAdd(string sku, DateTimeOffset at) =>
            Store.Added("c7", sku, 1, 12m) with { SessionId = session, VisitorId = visitor, Source = EventSources.CrossSellWidget, Timestamp = at };

        // Anonymous first view: the session id decides (holdout). Views and widget adds less than a gap apart keep the
        // window open, so a logged-in view well over a gap after the first one, but not after the last, is still the
        // first window's.
        driver.Pipe(Topics.CartEvents, "c7", Store.Added("c7", "running-shoes", 1, 120m) with { SessionId = session, Timestamp = t0 }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c7", Viewed("c7", session, visitorId: null) with { Timestamp = t0 }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c7", Viewed("c7", session, visitor) with { Timestamp = t0 + 0.8 * gap }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c7", WidgetAdd("socks", t0 + 1.6 * gap), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c7", Viewed("c7", session, visitor) with { Timestamp = t0 + 2.4 * gap }, ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Holdout, sink.Latest("c7").Cohort);

        // An add from elsewhere does not keep the analysis' window open: the next view, a gap after the last view,
        // opens a new window whose first view carries the visitor id, which decides from then on.
        driver.Pipe(Topics.CartEvents, "c7", Store.Added("c7", "headband", 1, 14m) with { SessionId = session, VisitorId = visitor, Timestamp = t0 + 3 * gap }, ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Holdout, sink.Latest("c7").Cohort);
        driver.Pipe(Topics.CartEvents, "c7", Viewed("c7", session, visitor) with { Timestamp = t0 + 3.4 * gap }, ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Treatment, sink.Latest("c7").Cohort);
        Assert.NotEmpty(sink.Latest("c7").AddOns);
    }

    [Fact]
    public void A_widget_add_after_the_gap_opens_a_window_whose_first_view_is_its_exposure()
    {
        var (sink, driver) = Recommender(Experiment);
        var session = SessionIn(Cohort.Holdout);
        var visitor = VisitorIn(Cohort.Treatment);
        var t0 = Store.Now.AddHours(-4);

        driver.Pipe(Topics.CartEvents, "c8", Store.Added("c8", "running-shoes", 1, 120m) with { SessionId = session, Timestamp = t0 }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c8", Viewed("c8", session, visitorId: null) with { Timestamp = t0 }, ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Holdout, sink.Latest("c8").Cohort);
        // A widget add a gap later opens the analysis' next window; the view right after it is that window's exposure.
        driver.Pipe(Topics.CartEvents, "c8", Store.Added("c8", "socks", 1, 12m) with
            { SessionId = session, VisitorId = visitor, Source = EventSources.CrossSellWidget, Timestamp = t0 + Experiment.InactivityGap }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c8", Viewed("c8", session, visitor) with { Timestamp = t0 + Experiment.InactivityGap + TimeSpan.FromMinutes(1) }, ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Treatment, sink.Latest("c8").Cohort);
    }

    [Fact]
    public void A_cart_saved_before_the_windows_were_kept_takes_its_last_event_as_the_windows_last_activity()
    {
        var cart = new CartState
        {
            CartId = "c9", SessionId = "s9", ExposureSessionId = "s9", ExposureVisitorId = null, UpdatedAt = Store.Now.AddHours(-3),
        };
        var later = new CartEvent
        {
            EventId = "e9", Type = CartEventType.CartViewed, CartId = "c9", SessionId = "s9", VisitorId = "v9", Timestamp = Store.Now,
        };
        cart.Observe(later, Experiment.InactivityGap);
        Assert.Equal(("v9", "s9"), (cart.ExposureVisitorId, cart.ExposureSessionId));
        Assert.Equal(Store.Now, cart.ExposureActiveAt);
    }

    [Fact]
    public void A_new_session_on_a_cart_is_assigned_by_its_own_exposure_not_by_an_earlier_sessions_visitor()
    {
        var (sink, driver) = Recommender(Experiment);
        var visitor = VisitorIn(Cohort.Holdout);
        var laterSession = SessionIn(Cohort.Treatment);

        driver.Pipe(Topics.CartEvents, "c6", Store.Added("c6", "running-shoes", 1, 120m) with { VisitorId = visitor }, ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c6", Viewed("c6", "s-c6", visitor), ContractCodecs.CartEvent);
        Assert.Equal(Cohorts.Holdout, sink.Latest("c6").Cohort);

        // The same cart, later, in an anonymous session: the analysis hashes that session's first view (no visitor id).
        driver.Pipe(Topics.CartEvents, "c6", Viewed("c6", laterSession, visitorId: null), ContractCodecs.CartEvent);
        driver.Pipe(Topics.CartEvents, "c6", Store.Added("c6", "socks", 1, 12m) with { SessionId = laterSession }, ContractCodecs.CartEvent);

        Assert.Equal(Cohorts.Treatment, sink.Latest("c6").Cohort);
        Assert.NotEmpty(sink.Latest("c6").AddOns);
    }

    [Fact]
    public void With_the_experiment_disabled_every_cart_is_treated_without_an_experiment_id()
    {
        var (sink, driver) = Recommender(new ExperimentOptions { Enabled = false });

        FillCart(driver, "c1", VisitorIn(Cohort.Holdout));

        Assert.Equal(Cohorts.Treatment, sink.Latest("c1").Cohort);
        Assert.Null(sink.Latest("c1").ExperimentId);
        Assert.NotEmpty(sink.Latest("c1").AddOns);
    }

    [Theory]
    [InlineData(0.0, "Experiment:HoldoutShare")]
    [InlineData(1.0, "Experiment:HoldoutShare")]
    public void A_holdout_share_outside_zero_to_one_is_refused_naming_the_key(double share, string key)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new ExperimentOptions { HoldoutShare = share }.Validate());
        Assert.StartsWith(key, ex.Message);
    }

    [Fact]
    public void A_blank_experiment_id_and_a_non_positive_gap_are_refused_naming_the_key()
    {
        Assert.StartsWith("Experiment:ExperimentId", Assert.Throws<OptionsValidationException>(() => new ExperimentOptions { ExperimentId = " " }.Validate()).Message);
        Assert.StartsWith("Experiment:InactivityGap", Assert.Throws<OptionsValidationException>(() => new ExperimentOptions { InactivityGap = TimeSpan.Zero }.Validate()).Message);
        Assert.StartsWith("Experiment:Grace", Assert.Throws<OptionsValidationException>(() => new ExperimentOptions { Grace = TimeSpan.FromMinutes(-1) }.Validate()).Message);
    }
}
