using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

public class AddOnListTests
{
    private static AddOn Scored(string sku, double score) => new(sku, sku, sku, 1m, score, "why", "only variant");

    [Fact]
    public void An_add_on_whose_score_is_not_finite_is_left_out_of_every_list()
    {
        var list = new AddOnList([Scored("a", 0.4), Scored("b", double.NaN), Scored("c", double.PositiveInfinity), Scored("d", 0.1)], "learned");
        Assert.Equal(["a", "d"], list.AddOns.Select(a => a.Sku));

        var replaced = list with { AddOns = [Scored("e", double.NegativeInfinity), Scored("f", 0.2)] };
        Assert.Equal(["f"], replaced.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void A_list_of_finite_scores_is_kept_as_given()
    {
        IReadOnlyList<AddOn> addOns = [Scored("a", 0.4), Scored("b", 0)];
        Assert.Same(addOns, new AddOnList(addOns, "basket-aware").AddOns);
    }
}
