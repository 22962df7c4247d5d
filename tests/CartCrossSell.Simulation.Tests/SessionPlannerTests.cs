namespace CartCrossSell.Simulation.Tests;

public sealed class SessionPlannerTests
{
    internal static readonly ShopperBasket Basket = new("536365",
    [
        new("85123", "85123A", 2.55m), new("71053", "71053", 3.39m), new("84406", "84406B", 2.75m),
        new("84029", "84029G", 3.39m), new("84029E", "84029E", 3.39m), new("22752", "22752", 7.65m), new("21730", "21730", 4.25m),
    ]);

    [Fact]
    public void The_same_seed_and_session_number_give_the_same_plan()
    {
        var behaviour = new ShopperBehaviour();
        var a = SessionPlanner.Plan(7, 12, Basket, behaviour);
        var b = SessionPlanner.Plan(7, 12, Basket, behaviour);
        Assert.Equal(a.Additions, b.Additions);
        Assert.Equal(a.HeldBack, b.HeldBack);
        Assert.Equal((a.ChecksOut, a.AdditionsBeforeLeaving, a.SessionId, a.VisitorId), (b.ChecksOut, b.AdditionsBeforeLeaving, b.SessionId, b.VisitorId));
        Assert.Equal(a.WillingnessFor("22752"), b.WillingnessFor("22752"));
    }

    [Fact]
    public void Visitors_come_back_as_often_as_the_share_says_each_one_first_seen_in_an_earlier_session()
    {
        var behaviour = new ShopperBehaviour { ReturningVisitorShare = 0.3 };
        var plans = Enumerable.Range(0, 20_000).Select(n => SessionPlanner.Plan(5, n, Basket, behaviour)).ToList();
        static string Own(SessionPlan p) => p.SessionId.Replace("sim-session-", "sim-visitor-", StringComparison.Ordinal);
        var returning = plans.Where(p => p.VisitorId != Own(p)).ToList();

        // About 30 % of the sessions are returns (binomial, 20,000 draws: a standard error of 0.0032).
        Assert.InRange(returning.Count / 20_000.0, 0.28, 0.32);
        // A return's visitor is the visitor of an earlier session that was a first visit, so it keeps that visitor's cohort.
        var firstVisits = plans.Where(p => p.VisitorId == Own(p)).Select(p => p.VisitorId).ToHashSet(StringComparer.Ordinal);
        Assert.All(returning, p => Assert.Contains(p.VisitorId, firstVisits));
        Assert.All(plans.Select(p => p.Number), n => Assert.True(SessionPlanner.FirstVisit(5, n, 0.3) <= n));
        Assert.True(plans.GroupBy(p => p.VisitorId).Max(g => g.Count()) >= 3);
        // No returns: every session its own visitor, as before the knob.
        Assert.All(Enumerable.Range(0, 500).Select(n => SessionPlanner.Plan(5, n, Basket, new ShopperBehaviour { ReturningVisitorShare = 0 })),
            p => Assert.Equal(p.SessionId.Replace("sim-session-", "sim-visitor-", StringComparison.Ordinal), p.VisitorId));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShopperBehaviour { ReturningVisitorShare = 1 }.Validate());
    }

    [Fact]
    public void A_repeat_buyer_comes_back_for_the_basket_of_their_first_visit_and_draws_the_rest_anew()
    {
        var baskets = Enumerable.Range(0, 500).Select(i => Basket with { SourceOrderId = $"order-{i}" }).ToList();
        SessionPlan[] Plans(double repeat) =>
            [.. Enumerable.Range(0, 4_000).Select(n => SessionPlanner.Plan(9, n, baskets, new ShopperBehaviour { ReturningVisitorShare = 0.3, RepeatBasketShare = repeat }))];
        static SessionPlan[] Returns(SessionPlan[] plans) => [.. plans.Where(p => p.VisitorId != p.SessionId.Replace("sim-session-", "sim-visitor-", StringComparison.Ordinal))];
        // A first visit's session id names its visitor: sim-session-9-000042 came as sim-visitor-9-000042.
        static string FirstBasket(SessionPlan[] plans, SessionPlan p) =>
            plans[int.Parse(p.VisitorId[(p.VisitorId.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture)].Basket.SourceOrderId;

        // Always: every return buys the first visit's basket. Never: about one in 500, by chance.
        var always = Plans(1);
        Assert.All(Returns(always), p => Assert.Equal(FirstBasket(always, p), p.Basket.SourceOrderId));
        var never = Plans(0);
        Assert.True(Returns(never).Count(p => FirstBasket(never, p) == p.Basket.SourceOrderId) < 10);
        // Half (the default): about half of the returns; the first visits' baskets and every other draw are unchanged.
        var half = Plans(0.5);
        Assert.InRange(Returns(half).Count(p => FirstBasket(half, p) == p.Basket.SourceOrderId) / (double)Returns(half).Length, 0.43, 0.57);
        Assert.All(half.Zip(never), pair => Assert.Equal((pair.Second.ChecksOut, pair.Second.VisitorId), (pair.First.ChecksOut, pair.First.VisitorId)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShopperBehaviour { RepeatBasketShare = 1.5 }.Validate());
    }

    [Fact]
    public void Seeds_and_session_numbers_change_the_draws()
    {
        var behaviour = new ShopperBehaviour { HeldBackShare = 0.5, MaxHeldBack = 6 };
        var plans = Enumerable.Range(0, 200).Select(n => SessionPlanner.Plan(1, n, Basket, behaviour)).ToList();
        Assert.True(plans.Select(p => string.Join(",", p.HeldBack.Select(l => l.Sku))).Distinct().Count() > 20);
        Assert.NotEqual(SessionPlanner.Plan(1, 0, Basket, behaviour).WillingnessFor("x"), SessionPlanner.Plan(2, 0, Basket, behaviour).WillingnessFor("x"));
    }

    [Fact]
    public void Held_back_and_added_lines_partition_the_basket_and_the_first_line_is_always_added()
    {
        var behaviour = new ShopperBehaviour { HeldBackShare = 0.6, MaxHeldBack = 2 };
        for (var n = 0; n < 500; n++)
        {
            var plan = SessionPlanner.Plan(3, n, Basket, behaviour);
            Assert.Equal(Basket.Lines[0], plan.Additions[0]);
            Assert.True(plan.HeldBack.Count <= 2);
            Assert.Equal(Basket.Lines.OrderBy(l => l.Sku), plan.Additions.Concat(plan.HeldBack).OrderBy(l => l.Sku));
            Assert.InRange(plan.AdditionsBeforeLeaving, 1, plan.Additions.Count);
            if (plan.ChecksOut) Assert.Equal(plan.Additions.Count, plan.AdditionsBeforeLeaving);
        }
    }

    [Fact]
    public void Shares_of_held_back_lines_and_checkouts_follow_the_behaviour()
    {
        var behaviour = new ShopperBehaviour { HeldBackShare = 0.3, MaxHeldBack = 10, CheckoutRate = 0.8 };
        var plans = Enumerable.Range(0, 4_000).Select(n => SessionPlanner.Plan(11, n, Basket, behaviour)).ToList();
        var heldShare = plans.Average(p => p.HeldBack.Count) / (Basket.Lines.Count - 1);
        Assert.InRange(heldShare, 0.28, 0.32);
        Assert.InRange(plans.Average(p => p.ChecksOut ? 1.0 : 0.0), 0.78, 0.82);
    }

    [Fact]
    public void Uniform_draws_are_uniform_over_deciles()
    {
        var counts = new int[10];
        for (var n = 0; n < 20_000; n++) counts[(int)(SimulationRandom.Uniform(5, n, "u") * 10)]++;
        Assert.All(counts, c => Assert.InRange(c, 1_850, 2_150));
    }
}
