namespace CartCrossSell.Experiments.Statistics;

/// <summary>The standard normal distribution, through the incomplete gamma function (erfc(z) = Q(1/2, z²)).</summary>
public static class StandardNormal
{
    /// <summary>P(Z &gt; z), computed directly so that small tails keep their relative accuracy.</summary>
    public static double UpperTail(double z)
    {
        if (double.IsNaN(z))
        {
            return double.NaN;
        }

        var tail = 0.5 * SpecialFunctions.RegularizedGammaQ(0.5, 0.5 * z * z);
        return z >= 0 ? tail : 1 - tail;
    }

    public static double Cdf(double z) => z >= 0 ? 1 - UpperTail(z) : UpperTail(-z);

    public static double Density(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    public static double Quantile(double p) => TailInversion.Quantile(p, UpperTail, Density);
}

/// <summary>
/// Student's t distribution with real (not only integer) degrees of freedom, as Welch–Satterthwaite produces:
/// P(T &gt; t) = ½ · I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0.
/// </summary>
public static class StudentT
{
    // Beyond this the t and the normal agree to far better than 1e-9, and the continued fraction gets slow.
    private const double NormalLimitDegreesOfFreedom = 1e10;

    public static double UpperTail(double t, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        if (double.IsNaN(t))
        {
            return double.NaN;
        }

        if (double.IsPositiveInfinity(degreesOfFreedom) || degreesOfFreedom > NormalLimitDegreesOfFreedom)
        {
            return StandardNormal.UpperTail(t);
        }

        if (double.IsInfinity(t))
        {
            return t > 0 ? 0 : 1;
        }

        var x = degreesOfFreedom / (degreesOfFreedom + t * t);
        var tail = 0.5 * SpecialFunctions.RegularizedIncompleteBeta(x, 0.5 * degreesOfFreedom, 0.5);
        return t >= 0 ? tail : 1 - tail;
    }

    public static double Cdf(double t, double degreesOfFreedom) =>
        t >= 0 ? 1 - UpperTail(t, degreesOfFreedom) : UpperTail(-t, degreesOfFreedom);

    /// <summary>Two-sided p-value of an observed t statistic: P(|T| ≥ |t|).</summary>
    public static double TwoSidedPValue(double t, double degreesOfFreedom) => Math.Min(1.0, 2 * UpperTail(Math.Abs(t), degreesOfFreedom));

    public static double Density(double t, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        if (double.IsPositiveInfinity(degreesOfFreedom) || degreesOfFreedom > NormalLimitDegreesOfFreedom)
        {
            return StandardNormal.Density(t);
        }

        var v = degreesOfFreedom;
        var logDensity = SpecialFunctions.LogGamma(0.5 * (v + 1)) - SpecialFunctions.LogGamma(0.5 * v)
                         - 0.5 * Math.Log(v * Math.PI) - 0.5 * (v + 1) * SpecialFunctions.Log1P(t * t / v);
        return Math.Exp(logDensity);
    }

    /// <summary>The t with P(T ≤ t) = p.</summary>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        return TailInversion.Quantile(p, t => UpperTail(t, degreesOfFreedom), t => Density(t, degreesOfFreedom));
    }

    private static void Validate(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom must be positive.");
        }
    }
}

/// <summary>The chi-square distribution, as the sample-ratio check needs it.</summary>
public static class ChiSquare
{
    /// <summary>P(X &gt; x) for X ~ χ²(k) = Q(k/2, x/2).</summary>
    public static double UpperTail(double x, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom must be positive.");
        }

        return x <= 0 ? 1 : SpecialFunctions.RegularizedGammaQ(0.5 * degreesOfFreedom, 0.5 * x);
    }
}

/// <summary>Inverts a symmetric distribution through its upper tail: safeguarded Newton inside a bisection bracket.</summary>
internal static class TailInversion
{
    public static double Quantile(double p, Func<double, double> upperTail, Func<double, double> density)
    {
        if (double.IsNaN(p) || p < 0 || p > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A probability must lie in [0, 1].");
        }

        if (p == 0)
        {
            return double.NegativeInfinity;
        }

        if (p == 1)
        {
            return double.PositiveInfinity;
        }

        if (p == 0.5)
        {
            return 0;
        }

        // Solve for the upper tail q = min(p, 1-p) on the positive side: tails keep full relative precision there.
        var q = p > 0.5 ? 1 - p : p;
        var sign = p > 0.5 ? 1.0 : -1.0;
        double lo = 0, hi = 1;
        while (upperTail(hi) > q)
        {
            lo = hi;
            hi *= 2;
            if (double.IsInfinity(hi))
            {
                return sign * double.PositiveInfinity;
            }
        }

        var x = 0.5 * (lo + hi);
        for (var i = 0; i < 300; i++)
        {
            var f = upperTail(x) - q;
            if (f > 0)
            {
                lo = x;
            }
            else
            {
                hi = x;
            }

            // The tail falls as x grows, so the Newton step on (tail - q) is x + f / density.
            var next = x + f / density(x);
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }

            if (Math.Abs(next - x) <= 1e-15 * Math.Max(1.0, Math.Abs(x)) || hi - lo <= 1e-15 * Math.Max(1.0, hi))
            {
                return sign * next;
            }

            x = next;
        }

        return sign * x;
    }
}
