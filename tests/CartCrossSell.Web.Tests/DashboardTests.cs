using System.Net;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Web.Dashboard;

namespace CartCrossSell.Web.Tests;

/// <summary>
/// The dashboard and its exports from records on <c>aov-aggregates</c> (built by the aggregator's own
/// <see cref="AovAggregator.Build"/>): the published figures shown as they are, the cumulative estimate merged exactly.
/// </summary>
public sealed class DashboardTests(WebHostFixture web) : IClassFixture<WebHostFixture>
{
    private static readonly DateTimeOffset Hour1 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private static CohortSums Sessions(params decimal[] revenues) => revenues.Aggregate(CohortSums.Empty, (sum, r) => sum + new CohortSums(
        1, r > 0 ? 1 : 0, r > 0 ? 1 : 0, r, r * r, r > 20 ? 1 : 0, r > 20 ? 1 : 0, r > 20 ? 1 : 0, r > 20 ? 3m : 0, r > 20 ? r : 0, r > 20 ? r * r : 0));

    private async Task<(AovAggregateRecord First, AovAggregateRecord Second, AovAggregateRecord Total)> PublishAsync(string experiment)
    {
        var (t1, h1) = (Sessions(10, 0, 25, 31, 0, 12, 40), Sessions(0, 9, 14, 0, 22, 8));
        var (t2, h2) = (Sessions(18, 0, 27, 35, 11), Sessions(0, 16, 10, 0, 19, 6, 0));
        var options = new AovAggregatorOptions();
        AovAggregateRecord Record(WindowKind kind, DateTimeOffset start, CohortSums t, CohortSums h) => AovAggregateMapping.ToContract(
            AovAggregator.Build(new AggregateKey(experiment, "pepper", kind, start), t, h, 0.5, Hour1, options, Hour1.AddHours(3)));
        var first = Record(WindowKind.Hour, Hour1, t1, h1);
        var second = Record(WindowKind.Hour, Hour1.AddHours(1), t2, h2);
        var day = Record(WindowKind.Day, Hour1.Date, t1 + t2, h1 + h2);
        var total = Record(WindowKind.Total, AggregateKey.TotalKeyStart, t1 + t2, h1 + h2);
        foreach (var r in new[] { first, second, day, total })
        {
            var key = AovAggregateRecord.KeyOf(r.ExperimentId, r.Salt, r.Window, r.Window == AggregateWindow.Total ? DateTimeOffset.UnixEpoch : r.WindowStart);
            web.Publisher.Publish(Topics.AovAggregates, key, JsonSerializer.SerializeToUtf8Bytes(r, ContractsJson.Default.AovAggregateRecord));
        }
        await web.Publisher.FlushAsync();
        return (first, second, total);
    }

    [Fact]
    public void Web_confidence_level_sets_the_cumulative_intervals_only_and_the_windows_keep_the_aggregators_level()
    {
        // The aggregator publishes 95 % intervals and a 5 % test; a dashboard set to 80 % must not relabel them.
        var options = new AovAggregatorOptions();
        var (t, h) = (Sessions(10, 0, 25, 31, 0, 12, 40), Sessions(0, 9, 14, 0, 22, 8));
        var hour = AovAggregateMapping.ToContract(AovAggregator.Build(new AggregateKey("levels", "pepper", WindowKind.Hour, Hour1), t, h, 0.5, Hour1, options, Hour1.AddHours(3)));
        var total = AovAggregateMapping.ToContract(AovAggregator.Build(new AggregateKey("levels", "pepper", WindowKind.Total, AggregateKey.TotalKeyStart), t, h, 0.5, Hour1, options, Hour1.AddHours(3)));

        var figures = ExperimentFigures.From([hour, total], "levels", null, 0.8)!;
        var html = ExperimentDashboard.Html(figures);

        Assert.Equal((0.95, 0.8), (figures.WindowConfidenceLevel, figures.ConfidenceLevel));
        Assert.Contains("95% CI [" + figures.Total!.IncrementalLower!.Value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), html);
        Assert.DoesNotContain("80% CI [", html);
        Assert.Contains("significant at 5%", html);
        Assert.Contains("(80% band)", html); // the cumulative chart
        Assert.Contains("cumulative (80% CI)", html);
        // The cumulative interval after the only hour is at 80 %: narrower than the published 95 % one.
        var only = Assert.Single(figures.Hours);
        Assert.True(only.CumulativeUpper - only.CumulativeLower < only.IncrementalUpper - only.IncrementalLower);
    }

    [Fact]
    public void The_cumulative_interval_allows_for_returning_visitors_as_the_published_windows_do()
    {
        // Each hour: the treatment's sessions come from fewer visitors than sessions (visitor sums beside the session sums).
        var options = new AovAggregatorOptions();
        var (t1, h1) = (Sessions(10, 0, 25, 31, 0, 12, 40), Sessions(0, 9, 14, 0, 22, 8));
        var (t2, h2) = (Sessions(18, 0, 27, 35, 11), Sessions(0, 16, 10, 0, 19, 6, 0));
        // Treatment visitors, each alike across their sessions: hour 1 {0, 0} {10, 12} {25, 31, 40}; hour 2 {0} {18, 11}
        // {27, 35}. Holdout: one session each.
        var tv1 = VisitorSums.Of(0, 2) + VisitorSums.Of(22, 2) + VisitorSums.Of(96, 3);
        var tv2 = VisitorSums.Of(0, 1) + VisitorSums.Of(29, 2) + VisitorSums.Of(62, 2);
        static VisitorSums Singles(params decimal[] revenues) => revenues.Aggregate(default(VisitorSums), (v, r) => v + VisitorSums.Of(r, 1));
        var (hv1, hv2) = (Singles(0, 9, 14, 0, 22, 8), Singles(0, 16, 10, 0, 19, 6, 0));
        AovAggregateRecord Record(WindowKind kind, DateTimeOffset start, CohortSums t, CohortSums h, VisitorSums tv, VisitorSums hv) => AovAggregateMapping.ToContract(
            AovAggregator.Build(new AggregateKey("visits", "pepper", kind, start), t, h, 0.5, Hour1, options, Hour1.AddHours(3), treatmentVisitors: tv, holdoutVisitors: hv));
        var records = new[]
        {
            Record(WindowKind.Hour, Hour1, t1, h1, tv1, hv1), Record(WindowKind.Hour, Hour1.AddHours(1), t2, h2, tv2, hv2),
            Record(WindowKind.Total, AggregateKey.TotalKeyStart, t1 + t2, h1 + h2, tv1 + tv2, hv1 + hv2),
        };

        var figures = ExperimentFigures.From(records, "visits", null, 0.95)!;

        var last = figures.Hours[^1];
        var expected = AovStatistics.Compare(t1 + t2, h1 + h2, 0.95, tv1 + tv2, hv1 + hv2).IncrementalRevenuePerSessionCi!;
        var asSessions = AovStatistics.Compare(t1 + t2, h1 + h2, 0.95).IncrementalRevenuePerSessionCi!;
        Assert.Equal((expected.Lower, expected.Upper), (last.CumulativeLower!.Value, last.CumulativeUpper!.Value));
        Assert.True(expected.Upper - expected.Lower > asSessions.Upper - asSessions.Lower);
        // The running total's cumulative figure is its published one.
        Assert.Equal((figures.Total!.IncrementalLower, figures.Total.IncrementalUpper), (figures.Total.CumulativeLower, figures.Total.CumulativeUpper));
        // A record without visitor sums (written before them) leaves the sessions counted as independent from there on.
        var older = records[1] with { Treatment = records[1].Treatment with { Visitors = null } };
        var mixed = ExperimentFigures.From([records[0], older, records[2]], "visits", null, 0.95)!;
        Assert.Equal((asSessions.Lower, asSessions.Upper), (mixed.Hours[^1].CumulativeLower!.Value, mixed.Hours[^1].CumulativeUpper!.Value));
    }

    [Fact]
    public void The_cumulative_interval_counts_a_visitor_who_came_back_in_a_later_hour_once()
    {
        // Treatment visitors who came back in the second hour, each spending alike both times; holdout visitors once
        // each. The aggregator publishes every window; the dashboard reads only the records.
        SessionOutcome Session(string key, string visitor, Cohort cohort, decimal revenue, DateTimeOffset at) => new()
        {
            SessionKey = key, SessionId = key, SubjectId = visitor, ExperimentId = "returning", Salt = "pepper", HoldoutShare = 0.5,
            Cohort = cohort, ExposedAt = at, WindowStart = at, WindowEnd = at.AddMinutes(5), Revenue = revenue, Orders = revenue > 0 ? 1 : 0,
            CrossSellLines = 0, CrossSellRevenue = 0m,
        };
        var (at1, at2) = (Hour1.AddMinutes(10), Hour1.AddMinutes(70));
        var treatment = new (string Visitor, decimal First, decimal Second)[] { ("a", 0m, 0m), ("b", 40m, 35m), ("c", 12m, 18m), ("d", 90m, 80m), ("e", 0m, 5m) };
        var outcomes = treatment.SelectMany(v => new[]
            {
                Session(v.Visitor + "1", v.Visitor, Cohort.Treatment, v.First, at1), Session(v.Visitor + "2", v.Visitor, Cohort.Treatment, v.Second, at2),
            })
            .Concat(new[] { 0m, 9m, 14m, 0m, 22m }.Select((r, i) => Session($"h{i}", $"x{i}", Cohort.Holdout, r, at1)))
            .Concat(new[] { 16m, 0m, 10m, 19m, 6m }.Select((r, i) => Session($"h{i + 5}", $"y{i}", Cohort.Holdout, r, at2)));
        var records = new AovAggregator().ApplyAll(outcomes.Select(SessionOutcomeChange.Closed), Hour1.AddHours(3)).Select(AovAggregateMapping.ToContract).ToList();

        var figures = ExperimentFigures.From(records, "returning", null, 0.95)!;

        // To date, the second hour is the whole experiment: its cumulative interval is the running total's, to the bit.
        var last = figures.Hours[^1];
        Assert.Equal((figures.Total!.IncrementalLower, figures.Total.IncrementalUpper), (last.CumulativeLower, last.CumulativeUpper));
        Assert.Equal((figures.Total.IncrementalLower, figures.Total.IncrementalUpper), (figures.Days[^1].CumulativeLower, figures.Days[^1].CumulativeUpper));
        // Adding the hours' own visitor sums would count each treatment visitor twice: a narrower, wrong interval.
        var hours = records.Where(r => r.Window == AggregateWindow.Hour).ToList();
        var asTwoVisitors = AovStatistics.Compare(
            FigureSums(hours, r => r.Treatment), FigureSums(hours, r => r.Holdout), 0.95,
            hours.Select(r => AovAggregateMapping.VisitorSumsOf(r.Treatment)).Aggregate((VisitorSums?)default(VisitorSums), (a, b) => a + b),
            hours.Select(r => AovAggregateMapping.VisitorSumsOf(r.Holdout)).Aggregate((VisitorSums?)default(VisitorSums), (a, b) => a + b)).IncrementalRevenuePerSessionCi!;
        Assert.True(last.CumulativeUpper - last.CumulativeLower > asTwoVisitors.Upper - asTwoVisitors.Lower);
        // A record without sums to date (an older aggregator's) falls back to adding the windows' visitor sums.
        var older = hours[1] with { Treatment = hours[1].Treatment with { VisitorsToDate = null } };
        var fallback = ExperimentFigures.From([hours[0], older, .. records.Where(r => r.Window == AggregateWindow.Total)], "returning", null, 0.95)!;
        Assert.Equal((asTwoVisitors.Lower, asTwoVisitors.Upper), (fallback.Hours[^1].CumulativeLower!.Value, fallback.Hours[^1].CumulativeUpper!.Value));

        // The sample-ratio card and the CSV name what the check counted: 5 treatment and 10 holdout visitors of 10 sessions each.
        Assert.Contains("holdout 10 of 15 visitors (10 of 20 sessions)", ExperimentDashboard.Html(figures));
        var csv = ExperimentDashboard.Csv(figures).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var total = csv[1].Split(',');
        Assert.Equal(("5", "10"), (total[Array.IndexOf(ExperimentDashboard.CsvColumns, "treatment_visitors")], total[Array.IndexOf(ExperimentDashboard.CsvColumns, "holdout_visitors")]));
        Assert.Equal(10.0 / 15, figures.Total.ObservedHoldoutShare!.Value, 12);
    }

    private static CohortSums FigureSums(IEnumerable<AovAggregateRecord> records, Func<AovAggregateRecord, AovCohort> cohort) =>
        records.Aggregate(CohortSums.Empty, (sum, r) => sum + AovAggregateMapping.SumsOf(cohort(r)));

    /// <summary>
    /// The page once the host has read every published window: the four records may sit on different partitions of
    /// <c>aov-aggregates</c>, so the first answer that is not a 404 can still lack some of them.
    /// </summary>
    private async Task<string> WhenPublishedAsync(string path, Func<string, bool> complete, string? mediaType = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await web.Http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK && complete(body))
            {
                if (mediaType is not null) Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
                return body;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} did not show every published window within 30 s: {(int)response.StatusCode} {body}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task The_json_export_holds_the_published_windows_and_a_cumulative_estimate_that_ends_at_the_total()
    {
        var (first, second, total) = await PublishAsync("exp-json");

        var body = await WhenPublishedAsync("/experiments/exp-json/figures.json", text =>
            JsonSerializer.Deserialize(text, Api.WebJson.Default.ExperimentFigures) is { Total: not null, Hours.Count: 2, Days.Count: 1 });
        var figures = JsonSerializer.Deserialize(body, Api.WebJson.Default.ExperimentFigures)!;

        Assert.Equal(2, figures.Hours.Count);
        Assert.Equal(first.Comparison.IncrementalRevenuePerSession, figures.Hours[0].IncrementalRevenuePerSession);
        Assert.Equal(second.Comparison.IncrementalRevenuePerSessionCi!.Lower, figures.Hours[1].IncrementalLower);
        // The first hour's cumulative estimate is that hour; after the last hour it is the published total, to the last bit of decimal sums.
        Assert.Equal(first.Comparison.IncrementalRevenuePerSession!.Value, figures.Hours[0].CumulativeIncremental!.Value, 12);
        Assert.Equal(total.Comparison.IncrementalRevenuePerSession!.Value, figures.Hours[1].CumulativeIncremental!.Value, 12);
        Assert.Equal(total.Comparison.IncrementalRevenuePerSessionCi!.Upper, figures.Hours[1].CumulativeUpper!.Value, 12);
        Assert.Equal(total.Treatment.ExposedSessions + total.Holdout.ExposedSessions, figures.Hours[1].CumulativeSessions);
        Assert.Equal(total.Comparison.PValue, figures.Total!.PValue);
        Assert.Equal(total.Srm.Mismatch, figures.Total.SrmMismatch);
        Assert.Equal(total.Treatment.CrossSellAttachRate, figures.Total.TreatmentAttachRate);
        Assert.Single(figures.Days);
        Assert.Contains("biased", figures.NaiveLabel, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_csv_export_has_a_row_per_window_with_the_same_numbers()
    {
        var (_, second, total) = await PublishAsync("exp-csv");

        var body = await WhenPublishedAsync("/experiments/exp-csv/figures.csv",
            text => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 5, mediaType: "text/csv");
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(string.Join(',', ExperimentDashboard.CsvColumns), lines[0]);
        Assert.Equal(["total", "day", "hour", "hour"], lines.Skip(1).Select(l => l.Split(',')[0]));
        var column = Array.IndexOf(ExperimentDashboard.CsvColumns, "incremental_revenue_per_session");
        Assert.Equal(total.Comparison.IncrementalRevenuePerSession!.Value, double.Parse(lines[1].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(second.Comparison.IncrementalRevenuePerSession!.Value, double.Parse(lines[4].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_page_shows_the_estimate_with_its_interval_the_srm_verdict_the_biased_naive_figure_and_two_charts()
    {
        var (_, _, total) = await PublishAsync("exp-page");

        var ci = total.Comparison.IncrementalRevenuePerSessionCi!;
        var html = await WhenPublishedAsync("/experiments/exp-page",
            text => text.Contains(FormattableString.Invariant($"95% CI [{ci.Lower:0.00}, {ci.Upper:0.00}]"), StringComparison.Ordinal)
                    && text.Split("<svg").Length - 1 == 2 && text.Contains("<polygon", StringComparison.Ordinal),
            mediaType: "text/html");

        Assert.Contains(FormattableString.Invariant($"95% CI [{ci.Lower:0.00}, {ci.Upper:0.00}]"), html);
        Assert.Contains("Sample ratio", html);
        Assert.Contains("Naive accepted vs not (BIASED)", html);
        Assert.Equal(2, html.Split("<svg").Length - 1);
        Assert.Contains("<polygon", html); // the band of two hour windows
        Assert.Contains("<table id=\"days\">", html);
        Assert.Contains("href=\"exp-page/figures.csv?salt=pepper\"", html);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"click\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("-1+2", "'-1+2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("22328", "22328")]
    [InlineData("a,b", "\"a,b\"")]
    public void A_free_text_cell_of_the_exports_is_never_a_spreadsheet_formula(string text, string cell) =>
        // Skus and model versions come from the public impressions endpoint.
        Assert.Equal(cell, CartCrossSell.Web.Dashboard.ExperimentDashboard.Quoted(text));

    [Fact]
    public async Task An_unknown_experiment_is_a_404_on_the_page_and_the_exports()
    {
        foreach (var path in new[] { "/experiments/nobody", "/experiments/nobody/figures.json", "/experiments/nobody/figures.csv", "/experiments/nobody/add-ons.csv" })
        {
            using var response = await web.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            // The dashboard's own answer, not a route that does not exist: it names the experiment it has no record of.
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("unknown experiment", problem.GetProperty("title").GetString());
            Assert.Contains("no record of experiment 'nobody'", problem.GetProperty("errors")[0].GetString());
        }
    }

    /// <summary>
    /// Twelve treatment sessions shown two add-ons (the first clicked in every third session) and two holdout sessions,
    /// through the aggregator. Sessions 0, 3 and 6 were ranked by model version rk-2 (all clicked), the rest by rk-1.
    /// </summary>
    private async Task<AovAggregate> PublishEngagedAsync(string experiment)
    {
        var aggregator = new AovAggregator();
        for (var s = 0; s < 14; s++)
        {
            var treatment = s < 12;
            var clicked = treatment && s % 3 == 0 ? 1 : 0;
            var model = s is 0 or 3 or 6 ? "rk-2" : "rk-1";
            aggregator.Apply(SessionOutcomeChange.Closed(new SessionOutcome
            {
                SessionKey = $"{experiment}-{s}@0", SessionId = $"{experiment}-{s}", SubjectId = $"v{s}", ExperimentId = experiment, Salt = "pepper", HoldoutShare = 0.5,
                Cohort = treatment ? Cohort.Treatment : Cohort.Holdout, ExposedAt = Hour1.AddMinutes(s), WindowStart = Hour1, WindowEnd = Hour1,
                Revenue = 10m + s, Orders = 1, CrossSellLines = clicked, CrossSellRevenue = clicked * 4m,
                Engagement = !treatment ? SessionEngagement.None : new SessionEngagement
                {
                    Impressions = 1, PositionImpressions = [1, 1, 0], PositionClicks = [clicked, 0, 0], WidgetAdds = clicked, Clicks = clicked,
                    AddOns = [new AddOnEngagement("lantern", 1, clicked, clicked), new AddOnEngagement("ribbon", 1, 0, 0)],
                    Models = [new ModelEngagement(model, 1, 2, clicked)],
                },
            }), Hour1.AddHours(1));
        }
        foreach (var a in aggregator.Snapshot(Hour1.AddHours(1)))
        {
            var r = AovAggregateMapping.ToContract(a);
            web.Publisher.Publish(Topics.AovAggregates, AovAggregateMapping.KeyOf(new AggregateKey(a.ExperimentId, a.Salt, a.Window, a.Window == WindowKind.Total ? AggregateKey.TotalKeyStart : a.WindowStart)),
                JsonSerializer.SerializeToUtf8Bytes(r, ContractsJson.Default.AovAggregateRecord));
        }
        await web.Publisher.FlushAsync();
        return aggregator.Snapshot(Hour1.AddHours(1)).Single(a => a.Window == WindowKind.Total);
    }

    [Fact]
    public async Task The_exports_and_the_page_show_impressions_click_through_per_position_and_per_model_version_and_acceptance_per_add_on()
    {
        await PublishEngagedAsync("exp-ctr");

        var json = await WhenPublishedAsync("/experiments/exp-ctr/figures.json", text =>
            JsonSerializer.Deserialize(text, Api.WebJson.Default.ExperimentFigures) is { Total: not null, Hours.Count: 1, Days.Count: 1 });
        var figures = JsonSerializer.Deserialize(json, Api.WebJson.Default.ExperimentFigures)!;
        Assert.Equal(12, figures.Total!.TreatmentImpressions);
        Assert.Equal(0, figures.Total.HoldoutImpressions);
        Assert.Equal(4, figures.Total.TreatmentClicks);
        Assert.Equal(4.0 / 12, figures.Total.ClickThroughPosition1);
        Assert.Equal(0.0, figures.Total.ClickThroughPosition2);
        Assert.Null(figures.Total.ClickThroughPosition3); // nothing was shown there
        Assert.Equal(4.0 / 24, figures.Total.ClickThrough);
        Assert.Equal(["lantern", "ribbon"], figures.AddOns.Select(a => a.Sku));
        Assert.Equal(4.0 / 12, figures.AddOns[0].Acceptance);
        Assert.Equal(["rk-1", "rk-2"], figures.Models.Select(m => m.ModelVersion)); // most impressions first: 9 against 3
        Assert.Equal((9, 18, 1), (figures.Models[0].Impressions, figures.Models[0].AddOnsShown, figures.Models[0].Clicks));
        Assert.Equal(1.0 / 18, figures.Models[0].ClickThrough);
        Assert.Equal(0.5, figures.Models[1].ClickThrough);
        Assert.Null(figures.OtherModels);

        var csv = (await WhenPublishedAsync("/experiments/exp-ctr/figures.csv", _ => true)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var column = Array.IndexOf(ExperimentDashboard.CsvColumns, "click_through_position_1");
        Assert.Equal(4.0 / 12, double.Parse(csv[1].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture));

        var addOns = (await WhenPublishedAsync("/experiments/exp-ctr/add-ons.csv", _ => true, mediaType: "text/csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', ExperimentDashboard.AddOnCsvColumns), addOns[0]);
        Assert.StartsWith("lantern,12,4,", addOns[1]);
        var models = (await WhenPublishedAsync("/experiments/exp-ctr/models.csv", _ => true, mediaType: "text/csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([string.Join(',', ExperimentDashboard.ModelCsvColumns), "rk-1,9,18,1," + (1.0 / 18).ToString("R", System.Globalization.CultureInfo.InvariantCulture), "rk-2,3,6,3,0.5"], models);

        var html = await WhenPublishedAsync("/experiments/exp-ctr", text => text.Contains("id=\"click-through\"", StringComparison.Ordinal));
        Assert.Equal(24, figures.Total.TreatmentAddOnsShown);
        Assert.Contains("4 clicks on 24 add-ons shown (12 impressions); per position 33.3% · 0.0% · –", html); // 4 / 24: the click-through
        Assert.Contains("<tr><td>lantern</td><td>12</td><td>4</td><td>33.3%</td><td>4</td></tr>", html);
        Assert.DoesNotContain("HOLDOUT SAW", html);
        Assert.Contains("<tr><td>rk-2</td><td>3</td><td>6</td><td>3</td><td>50.0%</td></tr>", html);
        Assert.Contains("exp-ctr/models.csv?salt=pepper", html);
        // Beside the per-position click-through: the model table follows the summary cards, before the charts.
        var table = html.IndexOf("<h2>Click-through per model version</h2><table id=\"models\">", StringComparison.Ordinal);
        Assert.InRange(table, html.IndexOf("id=\"click-through\"", StringComparison.Ordinal), html.IndexOf("aria-label=\"charts\"", StringComparison.Ordinal));
    }
}
