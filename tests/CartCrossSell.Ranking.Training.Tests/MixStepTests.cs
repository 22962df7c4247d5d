using CartCrossSell.Engine.Evaluation;

namespace CartCrossSell.Ranking.Training.Tests;

public class MixStepTests
{
    /// <summary>One random-item cart per order: model A hits the first <paramref name="hitsA"/>, B those and <paramref name="extra"/> more.</summary>
    private static (string[] Orders, HoldoutProtocol[] Protocols, bool[] A, bool[] B) Carts(int n, int hitsA, int extra, int cartsPerOrder = 1)
    {
        var orders = new string[n * cartsPerOrder];
        var protocols = new HoldoutProtocol[orders.Length];
        var a = new bool[orders.Length];
        var b = new bool[orders.Length];
        for (var i = 0; i < n; i++)
            for (var k = 0; k < cartsPerOrder; k++)
            {
                var at = i * cartsPerOrder + k;
                orders[at] = $"o{i}";
                protocols[at] = HoldoutProtocol.RandomItem;
                a[at] = i < hitsA;
                b[at] = i < hitsA + extra;
            }
        return (orders, protocols, a, b);
    }

    [Fact]
    public void Two_models_that_hit_the_same_carts_change_nothing_and_no_step_pays()
    {
        var (orders, protocols, a, _) = Carts(500, 100, 0);
        Assert.Equal(0, MixStep.StandardError(orders, protocols, a, a, 0.2, 0.2));
        Assert.False(MixStep.Pays(0.9, 0.9, 0, 1));
    }

    [Fact]
    public void The_error_is_the_paired_one_the_carts_both_models_hit_add_no_noise()
    {
        // 2,000 carts; A hits 600, B the same 600 and 200 more: the change in HR@3 is 0.1 with a paired standard error
        // of √(0.1 × 0.9 / 2000) = 0.0067, 0.0335 in ratio to a best baseline of 0.2. Unpaired it would be about twice that.
        var (orders, protocols, a, b) = Carts(2000, 600, 200);
        var error = MixStep.StandardError(orders, protocols, a, b, bestLastAdded: 0.2, bestRandom: 0.2, resamples: 2000);
        var paired = Math.Sqrt(0.1 * 0.9 / 2000) / 0.2;
        Assert.InRange(error, 0.9 * paired, 1.1 * paired);
    }

    [Fact]
    public void An_orders_carts_are_drawn_together()
    {
        // The same outcomes repeated within each order are not more evidence: the error stays that of 1,000 orders,
        // where 3,000 independent carts would shrink it by √3.
        var (orders, protocols, a, b) = Carts(1000, 300, 100);
        var (o3, p3, a3, b3) = Carts(1000, 300, 100, cartsPerOrder: 3);
        var one = MixStep.StandardError(orders, protocols, a, b, 0.2, 0.2, resamples: 2000);
        var three = MixStep.StandardError(o3, p3, a3, b3, 0.2, 0.2, resamples: 2000);
        Assert.InRange(three, 0.9 * one, 1.1 * one);
        var independent = MixStep.StandardError(o3.Select((_, i) => $"c{i}").ToArray(), p3, a3, b3, 0.2, 0.2, resamples: 2000);
        Assert.InRange(independent, 0.5 * one, 0.7 * one);
    }

    [Fact]
    public void The_measure_is_the_weaker_protocols_ratio()
    {
        // Last-added carts: B hits 100 more of 1,000 (ratio to 0.5: +0.2); random-item carts: both hit the same 100 of
        // 1,000 (ratio to 0.5: 0.2 for both). The weaker protocol is the random one for both models, whose ratio does not
        // change, so the walk's measure does not move however much the last-added protocol gains.
        var orders = new List<string>();
        var protocols = new List<HoldoutProtocol>();
        var a = new List<bool>();
        var b = new List<bool>();
        for (var i = 0; i < 1000; i++)
        {
            orders.Add($"o{i}"); protocols.Add(HoldoutProtocol.LastAdded); a.Add(i < 300); b.Add(i < 400);
            orders.Add($"o{i}"); protocols.Add(HoldoutProtocol.RandomItem); a.Add(i < 100); b.Add(i < 100);
        }
        Assert.Equal(0, MixStep.StandardError(orders, protocols, a, b, bestLastAdded: 0.5, bestRandom: 0.5));
    }

    [Theory]
    [InlineData(0.83, 0.85, 0.03, 1, false)] // a rise within its noise: the walk stays
    [InlineData(0.83, 0.85, 0.01, 1, true)]
    [InlineData(0.83, 0.85, 0.01, 3, false)]
    [InlineData(0.83, 0.84, 0.05, 0, true)] // 0 standard errors: any rise
    [InlineData(0.85, 0.83, 0, 0, false)]
    public void A_step_pays_only_when_it_rises_by_more_than_the_standard_errors_asked(double from, double to, double error, double errors, bool pays) =>
        Assert.Equal(pays, MixStep.Pays(from, to, error, errors));
}
