using System.CommandLine;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.Cli.Tests;

/// <summary><c>cartxsell report --file</c>: the cohort table, the comparison, the SRM flag, the biased naive figure and the chart.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("cartxsell-report-").FullName;

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApplication.BuildRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Aggregates as the aov-aggregator publishes them, from 600 sessions over six hours, with superseded versions first.</summary>
    private (string Path, AovAggregate Total) AggregatesFile()
    {
        var rng = new Random(5);
        var aggregator = new AovAggregator();
        var lines = new List<string>();
        for (var s = 0; s < 600; s++)
        {
            var holdout = rng.NextDouble() < 0.1;
            var ordered = rng.NextDouble() < 0.35;
            var revenue = ordered ? rng.Next(500, 15000) / 100m + (holdout ? 0 : 2m) : 0m;
            var crossSell = !holdout && ordered && rng.Next(4) == 0;
            var outcome = new SessionOutcome
            {
                SessionKey = $"s{s}@0", SessionId = $"s{s}", SubjectId = $"v{s}", ExperimentId = "cart-xsell", Salt = "pepper", HoldoutShare = 0.1,
                Cohort = holdout ? Cohort.Holdout : Cohort.Treatment, ExposedAt = T0.AddMinutes(rng.Next(0, 360)), WindowStart = T0, WindowEnd = T0,
                Revenue = revenue, Orders = ordered ? 1 : 0, CrossSellLines = crossSell ? 1 : 0, CrossSellRevenue = crossSell ? 9.5m : 0m,
            };
            foreach (var a in aggregator.Apply(SessionOutcomeChange.Closed(outcome), T0.AddHours(7)))
                lines.Add(JsonSerializer.Serialize(AovAggregateMapping.ToContract(a), ContractsJson.Default.AovAggregateRecord));
        }
        var path = Path.Combine(_dir, "aov-aggregates.jsonl");
        File.WriteAllLines(path, lines);
        var total = aggregator.Snapshot(T0.AddHours(7)).Single(a => a.Window == WindowKind.Total);
        return (path, total);
    }

    [Fact]
    public async Task The_report_prints_each_window_with_cohorts_comparison_srm_and_the_biased_naive_figure_and_draws_a_png()
    {
        var (path, total) = AggregatesFile();
        var png = Path.Combine(_dir, "chart.png");

        var (code, output, error) = await Run("report", "--file", path, "--chart", png);

        Assert.Equal(0, code);
        var totalSection = output.Split("== ").Single(s => s.StartsWith("cart-xsell (salt 'pepper'), total", StringComparison.Ordinal));
        Assert.Contains($"| treatment | {total.Treatment.Sums.ExposedSessions} | {total.Treatment.Sums.Orders} | {total.Treatment.Sums.Revenue:0.00} |", totalSection);
        Assert.Contains($"| holdout | {total.Holdout.Sums.ExposedSessions} | {total.Holdout.Sums.Orders} | {total.Holdout.Sums.Revenue:0.00} |", totalSection);
        Assert.Contains($"incremental revenue per session (treatment - holdout): {total.Comparison.IncrementalRevenuePerSession!.Value:0.00} [95% CI", totalSection);
        // The split is counted in visitors, the unit of assignment, with the sessions beside them.
        var srm = total.Srm;
        Assert.Contains($"sample ratio: holdout {srm.HoldoutVisitors} of {srm.HoldoutVisitors + srm.TreatmentVisitors} visitors "
                        + $"({srm.HoldoutSessions} of {srm.HoldoutSessions + srm.TreatmentSessions} sessions)", totalSection);
        Assert.Contains("(alarm below p = 0.001)", totalSection);
        Assert.Contains("naive accepted vs not accepted (BIASED", totalSection);
        Assert.Equal(6, output.Split("== ").Count(s => s.StartsWith("cart-xsell (salt 'pepper'), hour", StringComparison.Ordinal)));
        Assert.Single(output.Split("== "), s => s.StartsWith("cart-xsell (salt 'pepper'), day 2026-03-02", StringComparison.Ordinal));
        Assert.Contains("chart written to", error);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
    }

    [Fact]
    public async Task The_report_refuses_a_chart_over_its_input_or_a_directory_and_names_the_experiments_when_the_asked_one_is_absent()
    {
        var (path, _) = AggregatesFile();
        var before = await File.ReadAllTextAsync(path);

        var (code, _, error) = await Run("report", "--file", path, "--chart", path);
        Assert.Equal(2, code);
        Assert.Contains("--chart", error);
        Assert.Equal(before, await File.ReadAllTextAsync(path));

        (code, _, error) = await Run("report", "--file", path, "--chart", _dir);
        Assert.Equal(2, code);
        Assert.Contains("is a directory", error);

        var bad = Path.Combine(_dir, "bad.jsonl");
        await File.WriteAllTextAsync(bad, "{not json\n[]\n");
        (code, _, error) = await Run("report", "--file", bad);
        Assert.Equal(2, code);
        Assert.Contains($"{bad}: no aov-aggregates record could be read (2 bad lines)", error);

        (code, _, error) = await Run("report", "--file", path, "--experiment", "nope");
        Assert.Equal(1, code);
        Assert.Contains("no aov-aggregates records of experiment 'nope' among the", error);
        Assert.Contains("(experiments: cart-xsell)", error);
    }

    private static SessionOutcome Engaged(int s, Cohort cohort, params (string Sku, int Impressions, int Clicks)[] skus) => new()
    {
        SessionKey = $"e{s}@0", SessionId = $"e{s}", SubjectId = $"v{s}", ExperimentId = "engaged", Salt = "pepper", HoldoutShare = 0.5, Cohort = cohort,
        ExposedAt = T0, WindowStart = T0, WindowEnd = T0, Revenue = 10m, Orders = 1, CrossSellLines = 0, CrossSellRevenue = 0m,
        Engagement = skus.Length == 0 ? SessionEngagement.None : new SessionEngagement
        {
            Impressions = 1, PositionImpressions = [1, skus.Length > 1 ? 1 : 0, skus.Length > 2 ? 1 : 0],
            PositionClicks = [skus[0].Clicks, skus.Length > 1 ? skus[1].Clicks : 0, 0], WidgetAdds = skus.Sum(k => k.Clicks), Clicks = skus.Sum(k => k.Clicks),
            AddOns = skus.OrderBy(k => k.Sku, StringComparer.Ordinal).Select(k => new AddOnEngagement(k.Sku, k.Impressions, k.Clicks, k.Clicks)).ToArray(),
            // Sessions 0 to 2 were ranked by rk-2, the rest by rk-1 (the trainer promoted it).
            Models = [new ModelEngagement(s < 3 ? "rk-2" : "rk-1", 1, skus.Length, skus.Sum(k => k.Clicks))],
        },
    };

    [Fact]
    public async Task The_report_shows_impressions_click_through_per_position_acceptance_per_add_on_and_a_holdout_that_saw_the_module()
    {
        var aggregator = new AovAggregator(new AovAggregatorOptions { MaxAddOns = 1, MaxModelVersions = 1 });
        for (var s = 0; s < 10; s++) aggregator.Apply(SessionOutcomeChange.Closed(Engaged(s, Cohort.Treatment, ("lantern", 1, s < 4 ? 1 : 0), ("candle", 1, 0))), T0);
        aggregator.Apply(SessionOutcomeChange.Closed(Engaged(20, Cohort.Holdout)), T0);
        var clean = aggregator.Snapshot(T0).Single(a => a.Window == WindowKind.Total);
        aggregator.Apply(SessionOutcomeChange.Closed(Engaged(21, Cohort.Holdout, ("lantern", 1, 0))), T0);
        var leaked = aggregator.Snapshot(T0).Single(a => a.Window == WindowKind.Hour);
        var old = Path.Combine(_dir, "engaged.jsonl");
        await File.WriteAllLinesAsync(old, [JsonSerializer.Serialize(AovAggregateMapping.ToContract(clean), ContractsJson.Default.AovAggregateRecord),
            JsonSerializer.Serialize(AovAggregateMapping.ToContract(leaked), ContractsJson.Default.AovAggregateRecord)]);

        var (code, output, _) = await Run("report", "--file", old);

        Assert.Equal(0, code);
        var sections = output.Split("== ");
        var total = sections.Single(s => s.StartsWith("engaged (salt 'pepper'), total", StringComparison.Ordinal));
        Assert.Contains("engagement (treatment): 10 impressions in 10 sessions (100.0% of exposed), 4 clicks of 4 widget adds; click-through 20.0% of 20 add-ons shown "
                        + "(position 1: 4/10 40.0%, position 2: 0/10 0.0%, position 3: 0/0 -)", total);
        Assert.Contains("holdout: no impressions", total);
        Assert.Contains("acceptance per add-on (treatment, the 1 most shown, then 1 more summed):", total);
        Assert.Contains("| lantern | 10 | 4 | 40.0% | 4 |", total); // most impressions, then more clicks: lantern before candle
        Assert.Contains("| (other) | 10 | 0 | 0.0% | 0 |", total);
        Assert.Contains("click-through per model version (treatment, the 1 with the most impressions, then 1 more summed):\n"
                        + "| model version | impressions | add-ons shown | clicks | click-through |\n|---|---:|---:|---:|---:|\n"
                        + "| rk-1 | 7 | 14 | 1 | 7.1% |\n| (other) | 3 | 6 | 3 | 50.0% |", total.ReplaceLineEndings("\n"));
        var hour = sections.Single(s => s.StartsWith("engaged (salt 'pepper'), hour", StringComparison.Ordinal));
        Assert.Contains("HOLDOUT LEAK: 1 impressions in holdout sessions", hour);
        Assert.DoesNotContain("acceptance per add-on", hour); // per add-on only for the running total
        Assert.DoesNotContain("per model version", hour); // per model version likewise
    }

    [Fact]
    public async Task A_record_written_before_impressions_were_joined_is_reported_without_engagement()
    {
        var old = Path.Combine(_dir, "old.jsonl");
        var sample = await File.ReadAllTextAsync(Path.Combine(RepositoryFiles.Root, "schemas", "samples", "aov-aggregate.valid.hour-without-comparison.json"));
        await File.WriteAllTextAsync(old, JsonSerializer.Serialize(JsonDocument.Parse(sample).RootElement) + "\n");

        var (code, output, error) = await Run("report", "--file", old);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("engagement: not in this record (written before impressions were joined)", output);
    }

    [Fact]
    public async Task A_record_written_before_the_model_split_is_reported_without_a_model_table()
    {
        var old = Path.Combine(_dir, "before-split.jsonl");
        var sample = await File.ReadAllTextAsync(Path.Combine(RepositoryFiles.Root, "schemas", "samples", "aov-aggregate.valid.total.json"));
        Assert.DoesNotContain("models", sample, StringComparison.OrdinalIgnoreCase);
        await File.WriteAllTextAsync(old, JsonSerializer.Serialize(JsonDocument.Parse(sample).RootElement) + "\n");

        var (code, output, error) = await Run("report", "--file", old);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("engagement (treatment):", output);
        Assert.DoesNotContain("per model version", output);
    }

    [Fact]
    public async Task A_window_whose_split_is_off_is_flagged_and_json_output_keeps_only_the_latest_record_per_window()
    {
        var (path, _) = AggregatesFile();
        var skewed = Path.Combine(_dir, "skewed.jsonl");
        var aggregator = new AovAggregator();
        AovAggregate last = null!;
        for (var s = 0; s < 200; s++)
        {
            var outcome = new SessionOutcome
            {
                SessionKey = $"k{s}", SessionId = $"k{s}", SubjectId = $"k{s}", ExperimentId = "skewed", Salt = "", HoldoutShare = 0.1,
                Cohort = s % 2 == 0 ? Cohort.Holdout : Cohort.Treatment, ExposedAt = T0, WindowStart = T0, WindowEnd = T0,
                Revenue = s % 7, Orders = s % 7 == 0 ? 0 : 1, CrossSellLines = 0, CrossSellRevenue = 0,
            };
            last = aggregator.Apply(SessionOutcomeChange.Closed(outcome), T0).Single(a => a.Window == WindowKind.Total);
        }
        File.WriteAllLines(skewed, [JsonSerializer.Serialize(AovAggregateMapping.ToContract(last), ContractsJson.Default.AovAggregateRecord)]);

        var (code, output, _) = await Run("report", "--file", skewed);
        Assert.Equal(0, code);
        Assert.Contains("SRM MISMATCH - do not trust this window", output);

        var (jsonCode, json, _) = await Run("report", "--file", path, "--out", "json", "--experiment", "cart-xsell");
        Assert.Equal(0, jsonCode);
        var records = json.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize(l, ContractsJson.Default.AovAggregateRecord)!).ToList();
        Assert.Equal(1 + 1 + 6, records.Count); // total, one day, six hours
        Assert.Equal(600, records.Single(r => r.Window == AggregateWindow.Total).Treatment.ExposedSessions
                          + records.Single(r => r.Window == AggregateWindow.Total).Holdout.ExposedSessions);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
