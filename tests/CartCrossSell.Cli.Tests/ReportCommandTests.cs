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
        Assert.Contains("sample ratio: holdout", totalSection);
        Assert.Contains("naive accepted vs not accepted (BIASED", totalSection);
        Assert.Equal(6, output.Split("== ").Count(s => s.StartsWith("cart-xsell (salt 'pepper'), hour", StringComparison.Ordinal)));
        Assert.Single(output.Split("== "), s => s.StartsWith("cart-xsell (salt 'pepper'), day 2026-03-02", StringComparison.Ordinal));
        Assert.Contains("chart written to", error);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
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
