using CartCrossSell.Contracts;

namespace CartCrossSell.Simulation.Tests;

public sealed class ShopperSessionTests
{
    /// <summary>Everyone keeps a held-back item, takes it at any price, and checks out; nothing else is ever taken.</summary>
    private static readonly ShopperBehaviour Certain = new()
    {
        HeldBackShare = 1, MaxHeldBack = 1, WantedAcceptance = 1, BaseAcceptance = 0, CheapFloor = 1, ExpensiveDecay = 1e9,
        PerExtraOption = 1, DecisionPenalty = 0, CheckoutRate = 1,
    };

    private static ShopperBasket Basket => SessionPlannerTests.Basket;

    private static CartRecommendation Module(string cartId, string cohort, params (string Sku, string Variant, decimal Price)[] addOns) => new()
    {
        CartId = cartId, Version = 1, Cohort = cohort, CartValue = 10m, Strategy = "basket", GeneratedAt = DateTimeOffset.UnixEpoch,
        EventTimestamp = DateTimeOffset.UnixEpoch,
        AddOns = cohort == Cohorts.Holdout ? [] : addOns.Select(a => new RecommendedAddOn
        {
            Sku = a.Sku, VariantId = a.Variant, Title = a.Sku, Price = a.Price, Score = 1, Reason = "bought with the cart", VariantReason = "only variant",
            AddToCart = new OneClickAdd { CartId = cartId, Sku = a.Sku, VariantId = a.Variant },
        }).ToList(),
        WithheldAddOns = cohort == Cohorts.Holdout ? addOns.Select(a => a.Sku).ToList() : null,
    };

    /// <summary>Drives a session to its end, answering every view with <paramref name="module"/>.</summary>
    internal static List<ShopperAction> Drive(ShopperSession session, Func<ShopperSession, CartRecommendation?> module)
    {
        var actions = new List<ShopperAction>();
        while (!session.Finished)
        {
            var action = session.Next();
            actions.Add(action);
            if (action is ViewCart) session.Shown(module(session));
        }
        return actions;
    }

    [Fact]
    public void Items_are_added_one_by_one_with_a_cart_view_after_each_and_the_order_holds_the_cart()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var session = new ShopperSession(plan, Certain);
        var actions = Drive(session, s => Module(plan.CartId, Cohorts.Treatment));
        var expected = plan.Additions.SelectMany(_ => new[] { typeof(AddToCart), typeof(ViewCart) }).Append(typeof(PlaceOrder));
        Assert.Equal(expected, actions.Select(a => a.GetType()));
        var order = Assert.IsType<PlaceOrder>(actions[^1]);
        Assert.Equal(plan.Additions.Select(l => l.Sku), order.Lines.Select(l => l.Sku));
        Assert.All(order.Lines, l => Assert.Equal(EventSources.Simulator, l.Source));
        Assert.Equal(0m, session.WidgetRevenue);
    }

    [Fact]
    public void An_offered_held_back_item_is_added_with_one_click_with_the_preselected_variant_then_the_cart_is_viewed_again()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var wanted = Assert.Single(plan.HeldBack);
        var session = new ShopperSession(plan, Certain);
        var actions = Drive(session, s => Module(plan.CartId, Cohorts.Treatment, (wanted.Sku, wanted.VariantId!, wanted.UnitPrice), ("other", "other", 1m)));
        var oneClick = actions.OfType<AddToCart>().Single(a => a.Line.Source == EventSources.CrossSellWidget);
        Assert.Equal((wanted.Sku, wanted.VariantId, 1, wanted.UnitPrice), (oneClick.Line.Sku, oneClick.Line.VariantId, oneClick.Line.Quantity, oneClick.Line.UnitPrice));
        Assert.IsType<ViewCart>(actions[actions.IndexOf(oneClick) + 1]);
        Assert.Equal(wanted.UnitPrice, session.WidgetRevenue);
        Assert.Equal((double)wanted.UnitPrice, session.ExpectedWidgetRevenue, 6);
        // Considered once each, though shown after every view; the item not wanted has a base rate of zero here.
        Assert.Equal(new[] { "other", wanted.Sku }.Order(StringComparer.Ordinal), session.Considered.Select(c => c.Sku).Order(StringComparer.Ordinal));
        Assert.Contains(session.Considered, c => c.Sku == "other" && !c.Accepted && c.Probability == 0);
    }

    [Fact]
    public void A_preselected_variant_that_is_not_the_wanted_one_needs_a_decision_and_lowers_the_chance()
    {
        var behaviour = Certain with { DecisionPenalty = 0.5 };
        var plan = SessionPlanner.Plan(1, 0, Basket, behaviour);
        var wanted = Assert.Single(plan.HeldBack);
        var session = new ShopperSession(plan, behaviour);
        Drive(session, s => Module(plan.CartId, Cohorts.Treatment, (wanted.Sku, wanted.VariantId + "-other", wanted.UnitPrice)));
        var offer = Assert.Single(session.Considered);
        Assert.True(offer.NeedsDecision);
        Assert.Equal(0.5, offer.Probability, 6);
    }

    [Fact]
    public void The_catalog_s_fit_decision_lowers_the_chance_too()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var wanted = Assert.Single(plan.HeldBack);
        var session = new ShopperSession(plan, Certain, sku => sku == wanted.Sku);
        Drive(session, s => Module(plan.CartId, Cohorts.Treatment, (wanted.Sku, wanted.VariantId!, wanted.UnitPrice)));
        Assert.Equal(0, Assert.Single(session.Considered).Probability);
        Assert.Equal(0m, session.WidgetRevenue);
    }

    [Fact]
    public void The_holdout_sees_nothing_and_never_adds_from_the_widget()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var wanted = Assert.Single(plan.HeldBack);
        var session = new ShopperSession(plan, Certain);
        var actions = Drive(session, s => Module(plan.CartId, Cohorts.Holdout, (wanted.Sku, wanted.VariantId!, wanted.UnitPrice)));
        Assert.Equal(Cohorts.Holdout, session.Cohort);
        Assert.Empty(session.Considered);
        Assert.DoesNotContain(actions.OfType<AddToCart>(), a => a.Line.Source == EventSources.CrossSellWidget);
        Assert.DoesNotContain(Assert.IsType<PlaceOrder>(actions[^1]).Lines, l => l.Sku == wanted.Sku);
    }

    [Fact]
    public void Items_already_in_the_cart_are_not_considered()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var session = new ShopperSession(plan, Certain);
        Drive(session, s => Module(plan.CartId, Cohorts.Treatment, (plan.Additions[0].Sku, "v", 1m)));
        Assert.Empty(session.Considered);
    }

    [Fact]
    public void An_abandoned_cart_leaves_after_its_planned_additions_and_earns_nothing()
    {
        var behaviour = Certain with { CheckoutRate = 0, HeldBackShare = 0 };
        var plan = Enumerable.Range(0, 100).Select(n => SessionPlanner.Plan(2, n, Basket, behaviour)).First(p => p.AdditionsBeforeLeaving < p.Additions.Count);
        var session = new ShopperSession(plan, behaviour);
        var actions = Drive(session, s => Module(plan.CartId, Cohorts.Treatment, ("x", "x", 1m)));
        Assert.IsType<LeaveCart>(actions[^1]);
        Assert.Equal(plan.AdditionsBeforeLeaving, actions.OfType<AddToCart>().Count(a => a.Line.Source == EventSources.Simulator));
        Assert.False(session.Ordered);
        Assert.Equal(0, session.ExpectedWidgetRevenue);
    }

    [Fact]
    public void Missing_or_stale_values_are_counted_and_the_protocol_is_enforced()
    {
        var plan = SessionPlanner.Plan(1, 0, Basket, Certain);
        var session = new ShopperSession(plan, Certain);
        Assert.IsType<AddToCart>(session.Next());
        Assert.IsType<ViewCart>(session.Next());
        Assert.Throws<InvalidOperationException>(() => session.Next());
        session.Shown(null);
        Assert.Throws<InvalidOperationException>(() => session.Shown(null));
        Assert.IsType<AddToCart>(session.Next());
        Assert.IsType<ViewCart>(session.Next());
        session.Shown(Module(plan.CartId, Cohorts.Treatment), fresh: false);
        Assert.Equal((2, 2), (session.Views, session.MissedViews));
    }

    [Fact]
    public void The_expected_widget_revenue_is_an_unbiased_estimate_of_what_happens()
    {
        // The module always shows the held-back items at their price among three options: realized widget revenue
        // over many sessions must agree with the model's expectation, the truth the demo prints.
        // This small basket puts every add-on far above the price band; a slow decay keeps enough acceptances to measure.
        var behaviour = new ShopperBehaviour { ExpensiveDecay = 2 };
        var tally = new SimulationTally();
        for (var n = 0; n < 6_000; n++)
        {
            var plan = SessionPlanner.Plan(99, n, Basket, behaviour);
            var session = new ShopperSession(plan, behaviour);
            Drive(session, s => Module(plan.CartId, Cohorts.Treatment,
                plan.HeldBack.Select(l => (l.Sku, l.VariantId!, l.UnitPrice)).Append(("filler-1", "f1", 4m)).Append(("filler-2", "f2", 2m)).Take(3).ToArray()));
            tally.Add(session);
        }
        var t = tally.Of(Cohorts.Treatment);
        Assert.Equal(6_000, t.Sessions);
        Assert.True(t.OffersAccepted > 500);
        var expected = tally.TrueIncrementalRevenuePerSession!.Value;
        var realized = (double)tally.RealizedWidgetRevenuePerSession!.Value;
        Assert.InRange(realized, expected * 0.9, expected * 1.1);
        Assert.Equal(0, tally.Of(Cohorts.Holdout).Sessions);
    }
}
