using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Simulation;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The <c>make demo</c> story, smaller: history learned, simulated shoppers against the embedded broker and a real
/// redis-server, and the analysts' aggregate agreeing to the penny with the simulator's own ledger of what happened.
/// </summary>
public sealed class DemoEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Simulated_sessions_are_measured_exactly_and_the_holdout_never_sees_the_module()
    {
        var chart = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}.png");
        var aggregates = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}.jsonl");
        var text = new StringWriter();
        using var loggers = TestLogging.Create(output.WriteLine, LogLevel.Warning);
        var outcome = await new DemoRunner(text, loggers).RunAsync(new DemoOptions
        {
            OrdersPath = RepositoryFiles.OnlineRetail, Sessions = 400, Concurrency = 40, Seed = 7, ChartPath = chart, AggregatesPath = aggregates,
            // Keen shoppers, so that 400 sessions hold enough one-click adds to check.
            Behaviour = new ShopperBehaviour { WantedAcceptance = 0.9, HeldBackShare = 0.5 },
        });
        output.WriteLine(text.ToString());

        var tally = outcome.Simulation.Tally;
        var (treated, held) = (tally.Of(Cohorts.Treatment), tally.Of(Cohorts.Holdout));
        Assert.Equal(400, tally.Sessions);
        Assert.Equal(400, treated.Sessions + held.Sessions); // every cart page found its value
        Assert.True(held.Sessions > 100 && treated.Sessions > 100, $"{held.Sessions} holdout, {treated.Sessions} treatment");
        Assert.Equal(0, held.OffersConsidered);
        Assert.True(treated.OffersAccepted > 10, $"{treated.OffersAccepted} one-click adds");

        // The pipeline's measurement of the same sessions equals the simulator's ledger exactly.
        var total = outcome.Total;
        Assert.NotNull(total);
        Assert.Equal((treated.Sessions, held.Sessions), ((int)total!.Treatment.ExposedSessions, (int)total.Holdout.ExposedSessions));
        Assert.Equal((treated.Orders, held.Orders), ((int)total.Treatment.Orders, (int)total.Holdout.Orders));
        Assert.Equal((treated.Revenue, held.Revenue), (total.Treatment.Revenue, total.Holdout.Revenue));
        Assert.Equal(treated.WidgetRevenue, total.Treatment.CrossSellRevenue);
        Assert.Equal(0m, total.Holdout.CrossSellRevenue);
        Assert.NotNull(total.Comparison.IncrementalRevenuePerSessionCi);
        // What the module showed (the simulator reports it as the widget does) is joined: every one-click add is a click
        // credited to the showing that offered it; the holdout saw nothing.
        Assert.True(total.Treatment.Engagement!.Impressions >= total.Treatment.Engagement.ImpressedSessions && total.Treatment.Engagement.ImpressedSessions > 50,
            $"{total.Treatment.Engagement.Impressions} impressions in {total.Treatment.Engagement.ImpressedSessions} sessions");
        Assert.Equal((treated.OffersAccepted, treated.OffersAccepted), ((int)total.Treatment.Engagement.WidgetAdds, (int)total.Treatment.Engagement.Clicks));
        Assert.Equal(0, total.Holdout.Engagement!.Impressions);

        // One-click adds carry the widget as their source and the variant the module preselected.
        var example = Assert.IsType<ShopperSession>(outcome.Simulation.Examples.First());
        var page = example.Pages.First(p => example.Considered.Any(o => o.Accepted && o.View == p.View));
        var clicked = page.AddOns.First(a => example.Considered.Any(o => o.Accepted && o.Sku == a.Sku && o.View == page.View));
        var line = example.Cart.Single(l => l.Sku == clicked.Sku);
        Assert.Equal((EventSources.CrossSellWidget, clicked.AddToCart.VariantId), (line.Source, line.VariantId));
        Assert.InRange(page.AddOns.Count, 1, 3);

        var printed = text.ToString();
        Assert.Contains("incremental revenue per session (treatment - holdout)", printed);
        Assert.Contains("the behaviour model implies", printed);
        Assert.Contains("engagement (treatment): ", printed);
        Assert.Contains("ADDED", printed);
        var png = await File.ReadAllBytesAsync(chart);
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        File.Delete(chart);

        // What the demo measured stays readable once its broker is gone: report reads the same total back.
        var (read, problems) = Cli.Commands.ReportCommand.ReadFile(aggregates);
        Assert.Empty(problems);
        var written = Assert.Single(read, r => r.Window == AggregateWindow.Total);
        Assert.Equal(outcome.Total!.Treatment.ExposedSessions, written.Treatment.ExposedSessions);
        Assert.Contains(read, r => r.Window == AggregateWindow.Hour);
        File.Delete(aggregates);
    }
}
