namespace CartCrossSell.Experiments.Tests;

/// <summary>
/// A seeded, in-process generator of session outcomes with known ground truth. Two shopper segments (high and low
/// intent) let a test plant a selection effect; an optional add-on price lets it plant a true lift.
/// Simple loops over System.Random so 200 experiments of a few thousand sessions take well under a second each.
/// </summary>
internal sealed record SimulationSettings
{
    public int Sessions { get; init; } = 4_000;
    /// <summary>The share actually routed to holdout (what the generator does).</summary>
    public double ActualHoldoutShare { get; init; } = 0.10;
    /// <summary>The share the experiment is configured with (what the SRM check expects).</summary>
    public double ConfiguredHoldoutShare { get; init; } = 0.10;
    public double HighIntentShare { get; init; }
    public Segment HighIntent { get; init; } = new(0.70, Math.Log(90), 0.5, 0.40);
    public Segment LowIntent { get; init; } = new(0.35, Math.Log(60), 0.6, 0.15);
    /// <summary>Mean price of an accepted add-on; uniform on [0.5, 1.5] times this.</summary>
    public double AddOnPrice { get; init; } = 20;
    /// <summary>True: an accepted add-on adds its price to the order (a real lift). False: it replaces spend (zero effect).</summary>
    public bool AddOnAddsRevenue { get; init; } = true;
    /// <summary>
    /// Mean sessions per visitor (1: every session its own visitor, as before). Above 1, visitors come back: each draws
    /// 1 + a Poisson number of further sessions, one cohort and one segment for all of them, and a spending level
    /// (a factor e^(N(0, <see cref="VisitorSpendSigma"/>)) on every order), so a visitor's sessions are alike.
    /// </summary>
    public double SessionsPerVisitor { get; init; } = 1;
    public double VisitorSpendSigma { get; init; } = 0.5;
    public DateTimeOffset Start { get; init; } = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    public TimeSpan Spread { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Expected revenue per session of the holdout (lognormal mean; rounding to pennies is unbiased).</summary>
    public double ExpectedHoldoutRevenuePerSession =>
        HighIntentShare * HighIntent.ExpectedRevenuePerSession + (1 - HighIntentShare) * LowIntent.ExpectedRevenuePerSession;

    /// <summary>The planted incremental revenue per session: acceptance rate times mean add-on price, or 0.</summary>
    public double TrueIncrementalRevenuePerSession => AddOnAddsRevenue
        ? (HighIntentShare * HighIntent.ConversionRate * HighIntent.AcceptRate + (1 - HighIntentShare) * LowIntent.ConversionRate * LowIntent.AcceptRate) * AddOnPrice
        : 0.0;
}

internal sealed record Segment(double ConversionRate, double LogMean, double LogSigma, double AcceptRate)
{
    public double ExpectedRevenuePerSession => ConversionRate * Math.Exp(LogMean + LogSigma * LogSigma / 2);
}

internal static class SessionSimulator
{
    public const string ExperimentId = "sim";
    public const string Salt = "sim-salt";

    public static SessionOutcome[] Generate(SimulationSettings settings, int seed)
    {
        if (settings.SessionsPerVisitor > 1) return GenerateVisitors(settings, seed);
        var rng = new Random(seed);
        var outcomes = new SessionOutcome[settings.Sessions];
        var spreadTicks = settings.Spread.Ticks;
        for (var i = 0; i < outcomes.Length; i++)
        {
            var cohort = rng.NextDouble() < settings.ActualHoldoutShare ? Cohort.Holdout : Cohort.Treatment;
            var segment = rng.NextDouble() < settings.HighIntentShare ? settings.HighIntent : settings.LowIntent;
            var converts = rng.NextDouble() < segment.ConversionRate;
            var gaussian = NextGaussian(rng);
            var acceptDraw = rng.NextDouble();
            var priceDraw = rng.NextDouble();
            decimal revenue = 0m, crossSellRevenue = 0m;
            var crossSellLines = 0;
            if (converts)
            {
                revenue = Math.Round((decimal)Math.Exp(segment.LogMean + segment.LogSigma * gaussian), 2);
                // Only treatment sees the widget, so only treatment can accept.
                if (cohort == Cohort.Treatment && acceptDraw < segment.AcceptRate)
                {
                    var price = Math.Round((decimal)(settings.AddOnPrice * (0.5 + priceDraw)), 2);
                    crossSellLines = 1;
                    if (settings.AddOnAddsRevenue)
                    {
                        revenue += price;
                        crossSellRevenue = price;
                    }
                    else
                    {
                        // The shopper would have spent this anyway: the line is relabelled spend, not new spend.
                        crossSellRevenue = Math.Min(price, revenue);
                    }
                }
            }

            var exposedAt = settings.Start.AddTicks((long)(rng.NextDouble() * spreadTicks));
            outcomes[i] = new SessionOutcome
            {
                SessionKey = $"sim-{seed}-{i}",
                SessionId = $"sim-{seed}-{i}",
                SubjectId = $"visitor-{seed}-{i}",
                ExperimentId = ExperimentId,
                Salt = Salt,
                HoldoutShare = settings.ConfiguredHoldoutShare,
                Cohort = cohort,
                ExposedAt = exposedAt,
                WindowStart = exposedAt,
                WindowEnd = exposedAt.AddMinutes(10),
                Revenue = revenue,
                Orders = converts ? 1 : 0,
                CrossSellLines = crossSellLines,
                CrossSellRevenue = crossSellRevenue,
            };
        }

        return outcomes;
    }

    /// <summary>Sessions of returning visitors (<see cref="SimulationSettings.SessionsPerVisitor"/> above 1): same outcomes, visitors alike across their sessions.</summary>
    private static SessionOutcome[] GenerateVisitors(SimulationSettings settings, int seed)
    {
        var rng = new Random(seed);
        var outcomes = new List<SessionOutcome>(settings.Sessions);
        var spreadTicks = settings.Spread.Ticks;
        for (var visitor = 0; outcomes.Count < settings.Sessions; visitor++)
        {
            var cohort = rng.NextDouble() < settings.ActualHoldoutShare ? Cohort.Holdout : Cohort.Treatment;
            var segment = rng.NextDouble() < settings.HighIntentShare ? settings.HighIntent : settings.LowIntent;
            var spend = Math.Exp(settings.VisitorSpendSigma * NextGaussian(rng) - settings.VisitorSpendSigma * settings.VisitorSpendSigma / 2);
            var sessions = 1 + Poisson(rng, settings.SessionsPerVisitor - 1);
            for (var k = 0; k < sessions && outcomes.Count < settings.Sessions; k++)
            {
                var converts = rng.NextDouble() < segment.ConversionRate;
                var gaussian = NextGaussian(rng);
                var accepts = cohort == Cohort.Treatment && rng.NextDouble() < segment.AcceptRate;
                var price = Math.Round((decimal)(settings.AddOnPrice * (0.5 + rng.NextDouble())), 2);
                decimal revenue = 0m, crossSellRevenue = 0m;
                if (converts)
                {
                    revenue = Math.Round((decimal)(spend * Math.Exp(segment.LogMean + segment.LogSigma * gaussian)), 2);
                    if (accepts && settings.AddOnAddsRevenue)
                    {
                        revenue += price;
                        crossSellRevenue = price;
                    }
                    else if (accepts)
                    {
                        crossSellRevenue = Math.Min(price, revenue);
                    }
                }

                var exposedAt = settings.Start.AddTicks((long)(rng.NextDouble() * spreadTicks));
                var id = $"sim-{seed}-{visitor}-{k}";
                outcomes.Add(new SessionOutcome
                {
                    SessionKey = id, SessionId = id, SubjectId = $"visitor-{seed}-{visitor}", ExperimentId = ExperimentId, Salt = Salt,
                    HoldoutShare = settings.ConfiguredHoldoutShare, Cohort = cohort, ExposedAt = exposedAt, WindowStart = exposedAt,
                    WindowEnd = exposedAt.AddMinutes(10), Revenue = revenue, Orders = converts ? 1 : 0,
                    CrossSellLines = converts && accepts ? 1 : 0, CrossSellRevenue = crossSellRevenue,
                });
            }
        }

        return [.. outcomes];
    }

    private static int Poisson(Random rng, double mean)
    {
        // Knuth's product of uniforms: fine for the small means used here.
        var limit = Math.Exp(-mean);
        var k = 0;
        for (var p = rng.NextDouble(); p > limit; p *= rng.NextDouble()) k++;
        return k;
    }

    /// <summary>The running-total aggregate of one simulated experiment, through the real aggregator.</summary>
    public static AovAggregate Total(IEnumerable<SessionOutcome> outcomes, AovAggregatorOptions? options = null)
    {
        var aggregator = new AovAggregator(options);
        var computedAt = new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero);
        var aggregates = aggregator.ApplyAll(outcomes.Select(SessionOutcomeChange.Closed), computedAt);
        return aggregates.Single(a => a.Window == WindowKind.Total);
    }

    private static double NextGaussian(Random rng)
    {
        // Box–Muller; 1 - U keeps the logarithm away from zero.
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
