using CartCrossSell.Experiments.Statistics;
using FsCheck.Xunit;

namespace CartCrossSell.Experiments.Tests;

public sealed class DistributionTests
{
    private const double Accuracy = 1e-6;

    // Student-t critical values as printed in the standard tables (to 9 decimals, from R's qt).
    [Theory]
    [InlineData(0.975, 1, 12.706204736)]
    [InlineData(0.975, 2, 4.302652730)]
    [InlineData(0.975, 3, 3.182446305)]
    [InlineData(0.975, 5, 2.570581836)]
    [InlineData(0.975, 10, 2.228138852)]
    [InlineData(0.975, 20, 2.085963447)]
    [InlineData(0.975, 30, 2.042272456)]
    [InlineData(0.975, 60, 2.000297822)]
    [InlineData(0.975, 120, 1.979930405)]
    [InlineData(0.995, 1, 63.656741163)]
    [InlineData(0.995, 10, 3.169272673)]
    [InlineData(0.995, 30, 2.749995654)]
    [InlineData(0.95, 1, 6.313751515)]
    [InlineData(0.95, 10, 1.812461123)]
    [InlineData(0.90, 5, 1.475884049)]
    public void T_quantiles_match_table_values(double p, double df, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(p, df), Accuracy);
        Assert.Equal(-expected, StudentT.Quantile(1 - p, df), Accuracy);
        Assert.Equal(p, StudentT.Cdf(expected, df), 1e-9);
    }

    [Fact]
    public void T_with_huge_degrees_of_freedom_is_the_normal()
    {
        Assert.Equal(1.959963985, StudentT.Quantile(0.975, double.PositiveInfinity), Accuracy);
        Assert.Equal(1.959963985, StudentT.Quantile(0.975, 1e12), Accuracy);
        // Cornish–Fisher: z + (z³ + z) / (4ν) at ν = 10⁶.
        Assert.Equal(1.959966357, StudentT.Quantile(0.975, 1e6), Accuracy);
        Assert.Equal(1.959963985, StandardNormal.Quantile(0.975), Accuracy);
        Assert.Equal(0.841344746, StandardNormal.Cdf(1.0), 1e-9);
        Assert.Equal(2.866515719e-7, StandardNormal.UpperTail(5.0), 1e-15);
    }

    [Property(MaxTest = 300)]
    public void Cauchy_closed_form_df1(double raw)
    {
        var t = Bound(raw, 1e4);
        Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentT.Cdf(t, 1), 1e-12);
    }

    [Property(MaxTest = 300)]
    public void Closed_form_df2(double raw)
    {
        var t = Bound(raw, 1e4);
        Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), StudentT.Cdf(t, 2), 1e-12);
    }

    [Property(MaxTest = 300)]
    public void Quantile_inverts_the_cdf_for_real_degrees_of_freedom(double rawP, double rawDf)
    {
        var p = 0.0005 + 0.999 * Fraction(rawP);
        var df = 0.5 + Fraction(rawDf) * 5_000;
        var t = StudentT.Quantile(p, df);
        // The quantile is a root search; near the median its residual reaches a few 1e-10 (seen: 3e-10 at df 1.98).
        // 1e-8 is still a hundred times stricter than the 1e-6 the statistics need.
        Assert.Equal(p, StudentT.Cdf(t, df), 1e-8);
        Assert.Equal(-t, StudentT.Quantile(1 - p, df), 1e-7 * Math.Max(1, Math.Abs(t)));
    }

    [Property(MaxTest = 200)]
    public void Cdf_is_symmetric_and_monotone(double rawT, double rawDf)
    {
        var t = Bound(rawT, 50);
        var df = 0.3 + Fraction(rawDf) * 200;
        Assert.Equal(1.0, StudentT.Cdf(t, df) + StudentT.Cdf(-t, df), 1e-12);
        // Compared on the small side (left CDF or right tail), where doubles do not saturate at 1.0.
        Assert.True(t < 0
            ? StudentT.Cdf(t, df) < StudentT.Cdf(t + 0.01, df)
            : StudentT.UpperTail(t + 0.01, df) < StudentT.UpperTail(t, df));
    }

    [Property(MaxTest = 200)]
    public void Incomplete_beta_matches_its_closed_forms(double rawX, double rawA)
    {
        var x = Fraction(rawX);
        var a = 0.1 + Fraction(rawA) * 30;
        // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
        Assert.Equal(Math.Pow(x, a), SpecialFunctions.RegularizedIncompleteBeta(x, a, 1), 1e-12);
        Assert.Equal(1 - Math.Pow(1 - x, a), SpecialFunctions.RegularizedIncompleteBeta(x, 1, a), 1e-12);
    }

    [Fact]
    public void Log_gamma_matches_factorials_and_half_integers()
    {
        for (var n = 1; n <= 20; n++)
        {
            var factorial = Enumerable.Range(1, n - 1).Aggregate(1.0, (acc, k) => acc * k);
            Assert.Equal(Math.Log(factorial), SpecialFunctions.LogGamma(n), 1e-12);
        }

        Assert.Equal(0.5 * Math.Log(Math.PI), SpecialFunctions.LogGamma(0.5), 1e-14);
    }

    // Chi-square (1 df) critical values: the SRM p-values rest on these.
    [Theory]
    [InlineData(3.841458820694124, 0.05)]
    [InlineData(6.634896601021214, 0.01)]
    [InlineData(10.827566170662733, 0.001)]
    [InlineData(0.454936423119572, 0.5)]
    public void Chi_square_one_df_upper_tail_matches_table(double x, double p)
    {
        Assert.Equal(p, ChiSquare.UpperTail(x, 1), 1e-10);
    }

    [Fact]
    public void Chi_square_two_df_is_exponential()
    {
        foreach (var x in new[] { 0.1, 1.0, 5.0, 40.0 })
        {
            Assert.Equal(Math.Exp(-x / 2), ChiSquare.UpperTail(x, 2), 1e-13);
        }
    }

    [Fact]
    public void Tiny_p_values_keep_relative_accuracy()
    {
        // Computed as 1 - CDF these would be 0 or noise; the direct tails keep ~1e-12 relative accuracy.
        AssertRelative(7.6198530241604696e-24, StandardNormal.UpperTail(10), 1e-10);
        AssertRelative(Math.Atan(1e-6) / Math.PI, StudentT.UpperTail(1e6, 1), 1e-10);
        AssertRelative(Math.Exp(-60), ChiSquare.UpperTail(120, 2), 1e-10);
    }

    private static void AssertRelative(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    private static double Fraction(double raw) => double.IsFinite(raw) ? Math.Abs(raw % 1.0) : 0.5;

    private static double Bound(double raw, double limit) => double.IsFinite(raw) ? Math.Clamp(raw, -limit, limit) : 0.0;
}
