using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Simulation.Tests;

public sealed class ShopperBehaviourTests
{
    private static readonly ShopperBehaviour Model = new();

    private static AddOnOffer Offer(decimal price = 20m, decimal cart = 100m, int shown = 1, bool wanted = true, bool decision = false) =>
        new("sku", price, cart, shown, wanted, decision);

    [Fact]
    public void An_item_the_shopper_wanted_is_far_likelier_to_be_taken_than_the_base_rate()
    {
        Assert.Equal(Model.WantedAcceptance, Model.AcceptanceProbability(Offer(wanted: true)), 12);
        Assert.Equal(Model.BaseAcceptance, Model.AcceptanceProbability(Offer(wanted: false)), 12);
        Assert.True(Model.AcceptanceProbability(Offer(wanted: true)) > 10 * Model.AcceptanceProbability(Offer(wanted: false)));
    }

    [Theory]
    [InlineData(15, 1.0)]
    [InlineData(20, 1.0)]
    [InlineData(25, 1.0)]
    [InlineData(0, 0.5)]
    [InlineData(7.5, 0.75)]
    [InlineData(45, 0.36787944117144233)]
    [InlineData(200, 0.05)]
    public void Price_fit_is_one_inside_the_15_to_25_percent_band_and_lower_outside(double sharePercent, double expected) =>
        Assert.Equal(expected, Model.PriceFit(sharePercent / 100), 9);

    [Property]
    public void Price_fit_rises_to_the_band_and_falls_after_it(PositiveInt a, PositiveInt b)
    {
        var (lo, hi) = (Math.Min(a.Get, b.Get) / 1000.0, Math.Max(a.Get, b.Get) / 1000.0);
        if (hi <= Model.BandLow) Assert.True(Model.PriceFit(lo) <= Model.PriceFit(hi));
        if (lo >= Model.BandHigh) Assert.True(Model.PriceFit(lo) >= Model.PriceFit(hi));
        Assert.InRange(Model.PriceFit(lo), 0.05, 1);
    }

    [Fact]
    public void More_options_and_an_open_decision_each_lower_the_chance()
    {
        var one = Model.AcceptanceProbability(Offer(shown: 1));
        var two = Model.AcceptanceProbability(Offer(shown: 2));
        var three = Model.AcceptanceProbability(Offer(shown: 3));
        Assert.True(one > two && two > three);
        Assert.Equal(one * Model.DecisionPenalty, Model.AcceptanceProbability(Offer(decision: true)), 12);
    }

    [Property]
    public Property Acceptance_is_a_probability() =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(1, 100_000).ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(),
            (price, cart, shown) =>
            {
                var p = Model.AcceptanceProbability(new AddOnOffer("s", price / 100m, cart / 100m, shown, price % 2 == 0, cart % 3 == 0));
                return p >= 0 && p <= 1;
            });

    [Fact]
    public void Validation_names_the_knob_that_is_out_of_range()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (Model with { CheckoutRate = 1.5 }).Validate());
        Assert.Equal(nameof(ShopperBehaviour.CheckoutRate), e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => (Model with { BandLow = 0.3 }).Validate());
    }
}
