using System.Globalization;
using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Simulation;

namespace CartCrossSell.Cli.Hosting;

/// <summary>The simulator's own account of a run: per cohort as the storefront saw it, and the truth it implies.</summary>
public static class SimulationSummary
{
    public static string Render(SimulationResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var t = result.Tally;
        var sb = new StringBuilder();
        var rate = result.Elapsed.TotalSeconds > 0 ? result.EventsPublished / result.Elapsed.TotalSeconds : 0;
        sb.AppendLine(c, $"simulated {t.Sessions} sessions in {result.Elapsed.TotalSeconds:0.0} s: {result.EventsPublished} events ({rate:0} per second), {t.Views} cart views, "
                         + $"{t.MissedViews} of them rendered without a value answering the view");
        sb.AppendLine("| cohort (as the storefront saw it) | sessions | orders | revenue/session | sessions with a one-click add | offers considered | accepted | widget revenue |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (cohort, x) in t.ByCohort.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.AppendLine(c, $"| {cohort} | {x.Sessions} | {x.Orders} | {x.RevenuePerSession:0.00} | {x.SessionsWithWidgetAdd} | {x.OffersConsidered} | {x.OffersAccepted} | {x.WidgetRevenue:0.00} |");
        if (t.TrueIncrementalRevenuePerSession is { } truth)
            sb.AppendLine(c, $"true incremental revenue per session implied by the behaviour model: {truth:0.00} (expected); realized in this run: {t.RealizedWidgetRevenuePerSession:0.00}");
        if (t.Of(Cohorts.Treatment).RevenuePerSession is { } treated && t.Of(Cohorts.Holdout).RevenuePerSession is { } held)
            sb.AppendLine(c, $"simulator's own difference of revenue per session, treatment - holdout: {treated - held:0.00} (one noisy draw; the pipeline's report adds the interval)");
        return sb.ToString();
    }
}
