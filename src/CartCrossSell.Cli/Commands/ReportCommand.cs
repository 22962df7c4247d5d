using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments.Statistics;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Outcomes;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell report</c>: the holdout measurement for analysts. Reads <c>aov-aggregates</c> (latest record per key)
/// or a JSON Lines file of its records, prints per window the cohort table, the comparison, the SRM check, the
/// biased naive figure beside the true one, and the engagement (impressions, click-through per position; acceptance
/// per add-on for the running total), and draws revenue per session per cohort with 95 % bands.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap-servers", "-b") { Description = "Read the aov-aggregates topic from the beginning (latest record per key)" };
        var file = new Option<string?>("--file") { Description = "A JSON Lines file of aov-aggregates records instead of the topic (the latest per key counts)" };
        var experiment = new Option<string?>("--experiment") { Description = "Experiment id to report (default: every experiment found)" };
        var chart = new Option<string?>("--chart") { Description = "Write a PNG chart of revenue per session per cohort over the hour (or day) windows" };
        var format = new Option<string>("--out") { Description = "text (tables) or json (the records)", DefaultValueFactory = _ => "text" };
        var command = new Command("report", "Incremental revenue per session, treatment versus holdout, from the aov-aggregates topic or a file")
        {
            bootstrap, file, experiment, chart, format,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var (servers, path) = (parseResult.GetValue(bootstrap), parseResult.GetValue(file));
            if ((servers is null) == (path is null))
            {
                error.WriteLine("give exactly one of --bootstrap-servers and --file");
                return 2;
            }
            var outFormat = parseResult.GetValue(format)!;
            if (outFormat is not ("text" or "json"))
            {
                error.WriteLine($"unknown --out '{outFormat}': use text or json");
                return 2;
            }
            if (!EngineInputs.TryOutputs(error, [path], ("--chart", parseResult.GetValue(chart)))) return 2;
            IReadOnlyList<AovAggregateRecord> records;
            if (path is not null)
            {
                if (!File.Exists(path))
                {
                    error.WriteLine($"file not found: {path}");
                    return 2;
                }
                var (read, problems) = ReadFile(path);
                foreach (var problem in problems) error.WriteLine(problem);
                if (read.Count == 0 && problems.Count > 0)
                {
                    // Every line bad: the file to fix (exit 2), not an experiment without records yet.
                    error.WriteLine($"{path}: no aov-aggregates record could be read ({problems.Count} bad lines)");
                    return 2;
                }
                records = read;
            }
            else
            {
                records = await ReadTopicAsync(servers!, ct);
            }
            var found = records;
            if (parseResult.GetValue(experiment) is { } id) records = records.Where(r => r.ExperimentId == id).ToList();
            if (records.Count == 0)
            {
                error.WriteLine(found.Count == 0 ? "no aov-aggregates records found"
                    : $"no aov-aggregates records of experiment '{parseResult.GetValue(experiment)}' among the {found.Count} found (experiments: {string.Join(", ", found.Select(r => r.ExperimentId).Distinct())})");
                return 1;
            }

            if (outFormat == "json")
                foreach (var r in Ordered(records)) output.WriteLine(JsonSerializer.Serialize(r, ContractsJson.Default.AovAggregateRecord));
            else
                output.Write(Render(records));
            if (parseResult.GetValue(chart) is { } png)
            {
                ReportChart.Draw(records, png);
                error.WriteLine($"chart written to {png}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The latest record per key of a JSON Lines file, and a <c>file:line: message</c> per bad line.</summary>
    public static (IReadOnlyList<AovAggregateRecord> Records, IReadOnlyList<string> Problems) ReadFile(string path)
    {
        var latest = new Dictionary<string, AovAggregateRecord>(StringComparer.Ordinal);
        var problems = new List<string>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var decoded = OutcomesTopology.AggregateCodec.Decode(Encoding.UTF8.GetBytes(line));
            if (!decoded.Ok)
            {
                problems.Add($"{path}:{number}: {decoded.FailureReason}");
                continue;
            }
            latest[KeyOf(decoded.Value!)] = decoded.Value!;
        }
        return (latest.Values.ToList(), problems);
    }

    private static async Task<IReadOnlyList<AovAggregateRecord>> ReadTopicAsync(string servers, CancellationToken ct)
    {
        var kafka = new KafkaOptions { BootstrapServers = servers };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var table = new GlobalTable<AovAggregateRecord>(Topics.AovAggregates, OutcomesTopology.AggregateCodec, kafka, NullLoggerFactory.Instance);
        var running = table.RunAsync(stop.Token);
        await table.WaitUntilCaughtUpAsync(ct);
        var records = table.Entries.Select(e => e.Value).ToList();
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
            // stopped on purpose
        }
        await table.DisposeAsync();
        return records;
    }

    private static string KeyOf(AovAggregateRecord r) =>
        AovAggregateRecord.KeyOf(r.ExperimentId, r.Salt, r.Window, r.Window == AggregateWindow.Total ? DateTimeOffset.UnixEpoch : r.WindowStart);

    private static IEnumerable<AovAggregateRecord> Ordered(IEnumerable<AovAggregateRecord> records) =>
        records.OrderBy(r => r.ExperimentId, StringComparer.Ordinal).ThenBy(r => r.Salt, StringComparer.Ordinal)
            .ThenBy(r => r.Window switch { AggregateWindow.Total => 0, AggregateWindow.Day => 1, _ => 2 }).ThenBy(r => r.WindowStart);

    /// <summary>The text report: per experiment and window, the cohort table, the comparison, SRM and the naive figure.</summary>
    public static string Render(IEnumerable<AovAggregateRecord> records)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var r in Ordered(records))
        {
            var span = r.Window == AggregateWindow.Total
                ? $"total since {r.WindowStart.UtcDateTime.ToString("yyyy-MM-dd HH:mm", c)} UTC"
                : $"{r.Window.ToString().ToLowerInvariant()} {r.WindowStart.UtcDateTime.ToString(r.Window == AggregateWindow.Day ? "yyyy-MM-dd" : "yyyy-MM-dd HH:00", c)} UTC";
            sb.AppendLine(c, $"== {r.ExperimentId} (salt '{r.Salt}'), {span} ==");
            sb.AppendLine("| cohort | sessions | orders | revenue | conversion | AOV/order | revenue/session | x-sell attach | x-sell revenue |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (name, cohort) in new[] { ("treatment", r.Treatment), ("holdout", r.Holdout) })
                sb.AppendLine(c, $"| {name} | {cohort.ExposedSessions} | {cohort.Orders} | {cohort.Revenue:0.00} | {Pct(cohort.ConversionRate)} | {Money(cohort.AovPerOrder)} | {Money(cohort.RevenuePerSession)} | {Pct(cohort.CrossSellAttachRate)} | {cohort.CrossSellRevenue:0.00} |");
            var cmp = r.Comparison;
            var level = (cmp.ConfidenceLevel * 100).ToString("0", c);
            sb.AppendLine(cmp.IncrementalRevenuePerSession is { } delta
                ? $"incremental revenue per session (treatment - holdout): {delta.ToString("0.00", c)} [{level}% CI {Num(cmp.IncrementalRevenuePerSessionCi?.Lower)}, {Num(cmp.IncrementalRevenuePerSessionCi?.Upper)}], "
                  + $"lift {Num(cmp.LiftPercent)}% [{Num(cmp.LiftPercentCi?.Lower)}%, {Num(cmp.LiftPercentCi?.Upper)}%], p = {Num(cmp.PValue, "0.0000")}{(cmp.Significant ? " (significant)" : "")}"
                : "incremental revenue per session: not defined yet (each cohort needs at least 2 sessions with some variance)");
            var split = r.Srm is { HoldoutVisitors: { } hv, TreatmentVisitors: { } tv }
                ? $"{hv} of {hv + tv} visitors ({r.Srm.HoldoutSessions} of {r.Srm.HoldoutSessions + r.Srm.TreatmentSessions} sessions)"
                : $"{r.Srm.HoldoutSessions} of {r.Srm.HoldoutSessions + r.Srm.TreatmentSessions} sessions";
            sb.AppendLine(c, $"sample ratio: holdout {split}, expected share {r.Srm.ExpectedHoldoutShare.ToString("0.###", c)}, "
                             + $"chi-square {r.Srm.ChiSquare.ToString("0.00", c)}, p = {r.Srm.PValue.ToString("0.0000", c)}: {(r.Srm.Mismatch ? "SRM MISMATCH - do not trust this window" : "ok")} (alarm below p = {r.Srm.Threshold.ToString("0.####", c)})");
            sb.AppendLine(c, $"naive accepted vs not accepted (BIASED, for contrast only): revenue/session difference {Money(r.Naive.RevenuePerSessionDifference)}, "
                             + $"AOV/order difference {Money(r.Naive.AovPerOrderDifference)} ({r.Naive.AcceptedSessions} accepted, {r.Naive.NotAcceptedSessions} not)");
            RenderEngagement(sb, r);
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Impressions and click-through per position (treatment), the holdout's leak check, and acceptance per add-on for the total.</summary>
    private static void RenderEngagement(StringBuilder sb, AovAggregateRecord r)
    {
        var c = CultureInfo.InvariantCulture;
        if (r.Treatment.Engagement is not { } e)
        {
            sb.AppendLine("engagement: not in this record (written before impressions were joined)");
            return;
        }
        var positions = string.Join(", ", e.Positions.Select(p => $"position {p.Position}: {p.Clicks}/{p.Impressions} {Pct(p.ClickThrough)}"));
        sb.AppendLine(c, $"engagement (treatment): {e.Impressions} impressions in {e.ImpressedSessions} sessions ({Pct(e.ImpressedSessionShare)} of exposed), "
                         + $"{e.Clicks} clicks of {e.WidgetAdds} widget adds; click-through {Pct(e.ClickThrough)} of {e.Positions.Sum(p => p.Impressions)} add-ons shown ({positions})");
        var leaked = r.Holdout.Engagement?.Impressions ?? 0;
        sb.AppendLine(leaked == 0
            ? "holdout: no impressions (it never sees the module)"
            : $"HOLDOUT LEAK: {leaked} impressions in holdout sessions - the holdout saw the module, do not trust this window");
        if (r.Window != AggregateWindow.Total) return;
        if (e.AddOns.Count > 0)
            Table(sb, $"acceptance per add-on (treatment, the {e.AddOns.Count} most shown{(e.OtherAddOns is null ? "" : $", then {e.OtherAddOnSkus} more summed")}):",
                ["sku", "impressions", "clicks", "acceptance", "ordered lines"],
                (e.OtherAddOns is null ? e.AddOns : [.. e.AddOns, e.OtherAddOns]).Select(a => new[] { a.Sku, Count(a.Impressions), Count(a.Clicks), Pct(a.Acceptance), Count(a.OrderedLines) }));
        // Records written before the split have no models: nothing to print, not a table of zeros.
        if (e.Models is { Count: > 0 } models)
            Table(sb, $"click-through per model version (treatment, the {models.Count} with the most impressions{(e.OtherModels is null ? "" : $", then {e.OtherModelVersions} more summed")}):",
                ["model version", "impressions", "add-ons shown", "clicks", "click-through"],
                (e.OtherModels is null ? models : [.. models, e.OtherModels]).Select(m => new[] { m.ModelVersion, Count(m.Impressions), Count(m.AddOnsShown), Count(m.Clicks), Pct(m.ClickThrough) }));
    }

    /// <summary>A heading and a markdown table whose first column is text and the others numbers.</summary>
    private static void Table(StringBuilder sb, string heading, string[] columns, IEnumerable<string[]> rows)
    {
        sb.AppendLine(heading);
        sb.AppendLine("| " + string.Join(" | ", columns) + " |");
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", columns.Length - 1)));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
    }

    private static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Pct(double? v) => v is { } x ? (100 * x).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";
    private static string Money(decimal? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";
    private static string Num(double? v, string f = "0.00") => v is { } x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
}

/// <summary>Revenue per session per cohort over the windows, with 95 % confidence bands (t quantile, per cohort).</summary>
public static class ReportChart
{
    public static void Draw(IReadOnlyList<AovAggregateRecord> records, string path)
    {
        var hours = records.Where(r => r.Window == AggregateWindow.Hour).ToList();
        var windows = (hours.Count >= 2 ? hours : records.Where(r => r.Window == AggregateWindow.Day).ToList())
            .GroupBy(r => r.WindowStart).Select(g => g.First()).OrderBy(r => r.WindowStart).ToList();
        var plot = new ScottPlot.Plot();
        var kind = windows.FirstOrDefault()?.Window == AggregateWindow.Day ? "day" : "hour";
        plot.Title($"Revenue per exposed session by cohort, per {kind} (95% bands)");
        plot.YLabel("revenue per session");
        foreach (var (name, select, color) in new (string, Func<AovAggregateRecord, AovCohort>, ScottPlot.Color)[]
                 {
                     ("treatment", r => r.Treatment, ScottPlot.Colors.SteelBlue), ("holdout", r => r.Holdout, ScottPlot.Colors.DarkOrange),
                 })
        {
            var points = windows.Select(r => (At: r.WindowStart.UtcDateTime.ToOADate(), Cohort: select(r)))
                .Where(p => p.Cohort.RevenuePerSession is not null).ToList();
            if (points.Count == 0) continue;
            var xs = points.Select(p => p.At).ToArray();
            var ys = points.Select(p => (double)p.Cohort.RevenuePerSession!.Value).ToArray();
            var half = points.Select(p => HalfWidth(p.Cohort)).ToArray();
            var band = plot.Add.FillY(xs, ys.Zip(half, (y, h) => y - h).ToArray(), ys.Zip(half, (y, h) => y + h).ToArray());
            band.FillColor = color.WithAlpha(0.2);
            band.LineColor = color.WithAlpha(0.4);
            var line = plot.Add.Scatter(xs, ys);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            line.LegendText = name;
        }
        // DateTimeTicksBottom replaces the bottom axis, so its label is set afterwards (before, it never rendered).
        plot.Axes.DateTimeTicksBottom();
        plot.XLabel($"window start (UTC {kind})");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        plot.SavePng(path, 1000, 560);
    }

    /// <summary>Half width of the 95 % interval of one cohort's mean revenue per session; 0 below two sessions.</summary>
    private static double HalfWidth(AovCohort c) =>
        c.ExposedSessions >= 2 && c.RevenuePerSessionStdDev is { } sd
            ? StudentT.Quantile(0.975, c.ExposedSessions - 1) * sd / Math.Sqrt(c.ExposedSessions)
            : 0;
}
