namespace CartCrossSell.Experiments.Statistics;

/// <summary>
/// The special functions behind the t, normal and chi-square distributions, written out here because the library
/// takes no numerics dependency. Double precision throughout; accuracy is ~1e-14 relative in the ranges used.
/// </summary>
public static class SpecialFunctions
{
    private const double Epsilon = 1e-16;
    private const double TinyFloor = 1e-300;
    private const int MaxIterations = 100_000;

    // Lanczos approximation, g = 7, n = 9 (the widely used Godfrey coefficients).
    private static readonly double[] Lanczos =
    [
        0.99999999999980993,
        676.5203681218851,
        -1259.1392167224028,
        771.32342877765313,
        -176.61502916214059,
        12.507343278686905,
        -0.13857109526572012,
        9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>
    /// ln(1 + x) without losing the digits of a small x (the BCL's LogP1 is a plain Log(1 + x)).
    /// Goldberg's trick: the rounding error of u = 1 + x cancels in log(u) · x / (u - 1).
    /// </summary>
    public static double Log1P(double x)
    {
        var u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma is defined here for positive arguments only.");
        }

        if (x < 0.5)
        {
            // Reflection keeps the series in the range where it is accurate.
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++)
        {
            sum += Lanczos[i] / (x + i);
        }

        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>The regularized incomplete beta function I_x(a, b).</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (!(a > 0) || !(b > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), "Both shape parameters must be positive.");
        }

        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        var logFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * SpecialFunctions.Log1P(-x);
        var front = Math.Exp(logFront);
        // The continued fraction converges fast only on this side of the mean; the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
        // covers the other side.
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(x, a, b) / a
            : 1 - front * BetaContinuedFraction(1 - x, b, a) / b;
    }

    /// <summary>Continued fraction for the incomplete beta function (modified Lentz).</summary>
    private static double BetaContinuedFraction(double x, double a, double b)
    {
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1 - qab * x / qap;
        if (Math.Abs(d) < TinyFloor)
        {
            d = TinyFloor;
        }

        d = 1 / d;
        var h = d;
        for (var m = 1; m <= MaxIterations; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < TinyFloor)
            {
                d = TinyFloor;
            }

            c = 1 + aa / c;
            if (Math.Abs(c) < TinyFloor)
            {
                c = TinyFloor;
            }

            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < TinyFloor)
            {
                d = TinyFloor;
            }

            c = 1 + aa / c;
            if (Math.Abs(c) < TinyFloor)
            {
                c = TinyFloor;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                return h;
            }
        }

        throw new ArithmeticException($"Incomplete beta continued fraction did not converge (x={x}, a={a}, b={b}).");
    }

    /// <summary>The upper regularized incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).</summary>
    public static double RegularizedGammaQ(double a, double x)
    {
        if (!(a > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "The shape must be positive.");
        }

        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x <= 0)
        {
            return 1;
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        var logFront = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            // Series for P(a, x), then Q = 1 - P: accurate where P is not close to 1.
            var ap = a;
            var sum = 1 / a;
            var del = sum;
            for (var n = 0; n < MaxIterations; n++)
            {
                ap += 1;
                del *= x / ap;
                sum += del;
                if (Math.Abs(del) < Math.Abs(sum) * Epsilon)
                {
                    return 1 - sum * Math.Exp(logFront);
                }
            }

            throw new ArithmeticException($"Incomplete gamma series did not converge (a={a}, x={x}).");
        }

        // Continued fraction for Q(a, x) directly, so tiny upper tails keep their relative accuracy.
        var b = x + 1 - a;
        var c = 1 / TinyFloor;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i <= MaxIterations; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < TinyFloor)
            {
                d = TinyFloor;
            }

            c = b + an / c;
            if (Math.Abs(c) < TinyFloor)
            {
                c = TinyFloor;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                return Math.Exp(logFront) * h;
            }
        }

        throw new ArithmeticException($"Incomplete gamma continued fraction did not converge (a={a}, x={x}).");
    }
}
