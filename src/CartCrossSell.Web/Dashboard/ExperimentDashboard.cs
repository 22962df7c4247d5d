using System.Globalization;
using System.Net;
using System.Text;
using CartCrossSell.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartCrossSell.Web.Dashboard;

/// <summary>
/// The analyst dashboard (<c>/experiments/{experimentId}</c>) and its exports (<c>figures.csv</c>, <c>figures.json</c>,
/// <c>add-ons.csv</c> for acceptance per add-on, <c>models.csv</c> for click-through per model version): the same numbers
/// three ways, all from <c>aov-aggregates</c>.
/// </summary>
public static class ExperimentDashboard
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/experiments", async context =>
            await Results.Json(ExperimentFigures.List(Feed(context).Records).ToArray(), WebJson.Default.ExperimentSummaryArray).ExecuteAsync(context));
        app.MapGet("/experiments/{experimentId}", context => WithFigures(context, f => Results.Content(Html(f), "text/html; charset=utf-8")));
        app.MapGet("/experiments/{experimentId}/figures.json", context => WithFigures(context, f => Results.Json(f, WebJson.Default.ExperimentFigures)));
        app.MapGet("/experiments/{experimentId}/figures.csv", context => WithFigures(context, f => Results.Text(Csv(f), "text/csv; charset=utf-8")));
        app.MapGet("/experiments/{experimentId}/add-ons.csv", context => WithFigures(context, f => Results.Text(AddOnsCsv(f), "text/csv; charset=utf-8")));
        app.MapGet("/experiments/{experimentId}/models.csv", context => WithFigures(context, f => Results.Text(ModelsCsv(f), "text/csv; charset=utf-8")));
    }

    private static ExperimentFeed Feed(HttpContext context) => context.RequestServices.GetRequiredService<ExperimentFeed>();

    private static async Task WithFigures(HttpContext context, Func<ExperimentFigures, IResult> render)
    {
        var id = (string)context.Request.RouteValues["experimentId"]!;
        var salt = context.Request.Query["salt"].FirstOrDefault();
        var level = context.RequestServices.GetRequiredService<WebServiceOptions>().Web.ConfidenceLevel;
        var figures = ExperimentFigures.From(Feed(context).Records, id, salt, level);
        context.Response.Headers.CacheControl = "no-store";
        await (figures is null
            ? RequestReading.Refuse(StatusCodes.Status404NotFound, "unknown experiment",
                $"aov-aggregates has no record of experiment '{id}'{(salt is null ? "" : $" with salt '{salt}'")} yet (sessions are counted once they close)")
            : render(figures)).ExecuteAsync(context);
    }

    /// <summary>Columns of the CSV export, one row per window (total first, then days, then hours).</summary>
    public static readonly string[] CsvColumns =
    [
        "window", "start", "end", "treatment_sessions", "holdout_sessions", "treatment_orders", "holdout_orders",
        "treatment_revenue_per_session", "holdout_revenue_per_session", "incremental_revenue_per_session", "incremental_ci_lower", "incremental_ci_upper",
        "lift_percent", "lift_ci_lower", "lift_ci_upper", "p_value", "significant", "srm_p_value", "srm_mismatch", "expected_holdout_share", "observed_holdout_share",
        "treatment_attach_rate", "treatment_cross_sell_revenue_per_session", "naive_accepted_sessions", "naive_not_accepted_sessions",
        "naive_revenue_per_session_difference_BIASED", "cumulative_sessions", "cumulative_incremental", "cumulative_ci_lower", "cumulative_ci_upper",
        "treatment_impressions", "holdout_impressions", "treatment_clicks", "treatment_widget_adds", "click_through",
        "click_through_position_1", "click_through_position_2", "click_through_position_3", "treatment_visitors", "holdout_visitors",
    ];

    /// <summary>Columns of the add-on CSV export: acceptance per add-on over the running total, treatment.</summary>
    public static readonly string[] AddOnCsvColumns = ["sku", "impressions", "clicks", "acceptance", "ordered_lines"];

    /// <summary>Columns of the model CSV export: click-through per model version over the running total, treatment.</summary>
    public static readonly string[] ModelCsvColumns = ["model_version", "impressions", "add_ons_shown", "clicks", "click_through"];

    /// <summary>
    /// What the sample-ratio check counted: the visitors (the unit the split assigns) where the record knows them, with
    /// the sessions beside them, else the sessions; its observed share and p-value are of the same counts.
    /// </summary>
    private static string SampleRatioCounts(WindowFigures w) => w is { TreatmentVisitors: { } tv, HoldoutVisitors: { } hv }
        ? string.Create(C, $"{hv} of {tv + hv} visitors ({w.HoldoutSessions} of {w.HoldoutSessions + w.TreatmentSessions} sessions)")
        : string.Create(C, $"{w.HoldoutSessions} of {w.HoldoutSessions + w.TreatmentSessions} sessions");

    public static string Csv(ExperimentFigures f)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', CsvColumns));
        foreach (var w in Rows(f))
        {
            object?[] cells =
            [
                w.Window, w.Start.UtcDateTime.ToString("O", C), w.End.UtcDateTime.ToString("O", C), w.TreatmentSessions, w.HoldoutSessions, w.TreatmentOrders, w.HoldoutOrders,
                w.TreatmentRevenuePerSession, w.HoldoutRevenuePerSession, w.IncrementalRevenuePerSession, w.IncrementalLower, w.IncrementalUpper,
                w.LiftPercent, w.LiftLower, w.LiftUpper, w.PValue, w.Significant, w.SrmPValue, w.SrmMismatch, w.ExpectedHoldoutShare, w.ObservedHoldoutShare,
                w.TreatmentAttachRate, w.TreatmentCrossSellRevenuePerSession, w.NaiveAcceptedSessions, w.NaiveNotAcceptedSessions,
                w.NaiveRevenuePerSessionDifference, w.CumulativeSessions, w.CumulativeIncremental, w.CumulativeLower, w.CumulativeUpper,
                w.TreatmentImpressions, w.HoldoutImpressions, w.TreatmentClicks, w.TreatmentWidgetAdds, w.ClickThrough,
                w.ClickThroughPosition1, w.ClickThroughPosition2, w.ClickThroughPosition3, w.TreatmentVisitors, w.HoldoutVisitors,
            ];
            sb.AppendLine(string.Join(',', cells.Select(Cell)));
        }
        return sb.ToString();
    }

    /// <summary>One row per published add-on, most shown first, then the "(other)" row when the record summed the rest.</summary>
    public static string AddOnsCsv(ExperimentFigures f) =>
        RowsCsv(AddOnCsvColumns, WithOther(f.AddOns, f.OtherAddOns).Select(a => new object?[] { Quoted(a.Sku), a.Impressions, a.Clicks, a.Acceptance, a.OrderedLines }));

    /// <summary>One row per published model version, most impressions first, then the "(other)" row when the record summed the rest.</summary>
    public static string ModelsCsv(ExperimentFigures f) =>
        RowsCsv(ModelCsvColumns, WithOther(f.Models, f.OtherModels).Select(m => new object?[] { Quoted(m.ModelVersion), m.Impressions, m.AddOnsShown, m.Clicks, m.ClickThrough }));

    private static string RowsCsv(string[] columns, IEnumerable<object?[]> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', columns));
        foreach (var row in rows) sb.AppendLine(string.Join(',', row.Select(Cell)));
        return sb.ToString();
    }

    // A sku or a model version is free text from a public endpoint (impressions): quoted whenever it could break the
    // row, and a text a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first) starts with
    // an apostrophe, so an analyst opening the export reads it instead of running it.
    internal static string Quoted(string s)
    {
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r') s = "'" + s;
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }

    /// <summary>The published top rows, then the "(other)" row when the record summed the rest.</summary>
    private static IReadOnlyList<T> WithOther<T>(IReadOnlyList<T> top, T? other) where T : class => other is null ? top : [.. top, other];

    private static string Cell(object? v) => v switch
        {
            null => "",
            bool b => b ? "true" : "false",
            double d => d.ToString("R", C),
            IFormattable x => x.ToString(null, C),
            _ => v.ToString()!,
        };

    private static IEnumerable<WindowFigures> Rows(ExperimentFigures f) => (f.Total is null ? [] : new[] { f.Total }).Concat(f.Days).Concat(f.Hours);

    public static string Html(ExperimentFigures f)
    {
        var series = f.Hours.Count > 0 ? f.Hours : f.Days;
        var per = f.Hours.Count > 0 ? "hour" : "day";
        var t = f.Total;
        // The windows' intervals and test are the aggregator's, at its level; Web:ConfidenceLevel sets only the cumulative ones.
        var level = (f.WindowConfidenceLevel * 100).ToString("0", C);
        var cumulativeLevel = (f.ConfidenceLevel * 100).ToString("0", C);
        var sb = new StringBuilder();
        sb.Append(C, $"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="15"><title>Experiment {E(f.ExperimentId)}</title><style>{Style}</style></head><body>
            <h1>Experiment <code>{E(f.ExperimentId)}</code> <small>salt '{E(f.Salt)}', updated {f.ComputedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</small></h1>
            <p>Treatment (sees the cart-page add-ons) against a holdout that never does. The figure that counts is <strong>incremental revenue per exposed session</strong>.
            Export: <a href="{E(Uri.EscapeDataString(f.ExperimentId))}/figures.csv?salt={E(Uri.EscapeDataString(f.Salt))}">CSV</a> · <a href="{E(Uri.EscapeDataString(f.ExperimentId))}/figures.json?salt={E(Uri.EscapeDataString(f.Salt))}">JSON</a></p>
            """);
        if (t is not null)
        {
            sb.Append(C, $"""
                <section class="cards" aria-label="summary">
                <div class="card" id="estimate"><h2>Incremental revenue per session</h2><p class="big">{N(t.IncrementalRevenuePerSession)}</p><p>{level}% CI [{N(t.IncrementalLower)}, {N(t.IncrementalUpper)}]</p></div>
                <div class="card" id="lift"><h2>Lift</h2><p class="big">{N(t.LiftPercent, "0.0")}%</p><p>{level}% CI [{N(t.LiftLower, "0.0")}%, {N(t.LiftUpper, "0.0")}%]</p></div>
                <div class="card" id="p-value"><h2>p-value</h2><p class="big">{N(t.PValue, "0.0000")}</p><p>{(t.Significant ? "significant" : "not significant")} at {100 - f.WindowConfidenceLevel * 100:0}%</p></div>
                <div class="card {(t.SrmMismatch ? "bad" : "ok")}" id="srm"><h2>Sample ratio</h2><p class="big">{(t.SrmMismatch ? "MISMATCH" : "ok")}</p><p>holdout {SampleRatioCounts(t)} (expected {t.ExpectedHoldoutShare:0.###}, observed {N(t.ObservedHoldoutShare, "0.###")}), p = {t.SrmPValue:0.0000}{(t.SrmMismatch ? ": do not trust these figures" : "")}</p></div>
                <div class="card" id="attach"><h2>Attach rate</h2><p class="big">{P(t.TreatmentAttachRate)}</p><p>treatment sessions that ordered an add-on added with one click; cross-sell revenue {N(D(t.TreatmentCrossSellRevenuePerSession))} per session</p></div>
                <div class="card" id="click-through"><h2>Click-through</h2><p class="big">{P(t.ClickThrough)}</p><p>{t.TreatmentClicks} clicks on {t.TreatmentAddOnsShown} add-ons shown ({t.TreatmentImpressions} impressions); per position {P(t.ClickThroughPosition1)} · {P(t.ClickThroughPosition2)} · {P(t.ClickThroughPosition3)}{(t.HoldoutImpressions > 0 ? $"; HOLDOUT SAW {t.HoldoutImpressions} IMPRESSIONS: the holdout leaks" : "")}</p></div>
                <div class="card biased" id="naive"><h2>Naive accepted vs not (BIASED)</h2><p class="big">{N(D(t.NaiveRevenuePerSessionDifference))}</p><p>{t.NaiveAcceptedSessions} accepted, {t.NaiveNotAcceptedSessions} not. {E(f.NaiveLabel)}</p></div>
                </section>
                """);
            AppendModels(sb, f);
        }
        sb.Append("<section aria-label=\"charts\">");
        sb.Append(SvgChart.Band($"Incremental revenue per session, per {per} ({level}% band)",
            series.Select(w => new BandPoint(w.Start, w.IncrementalRevenuePerSession, w.IncrementalLower, w.IncrementalUpper)).ToList(), "treatment - holdout"));
        sb.Append(SvgChart.Band($"Cumulative estimate up to each {per} ({cumulativeLevel}% band)",
            series.Select(w => new BandPoint(w.End, w.CumulativeIncremental, w.CumulativeLower, w.CumulativeUpper)).ToList(), "treatment - holdout"));
        sb.Append("</section><h2>Per day</h2><table id=\"days\"><thead><tr><th>day (UTC)</th><th>treatment sessions</th><th>holdout sessions</th><th>orders T / H</th>"
                  + "<th>revenue/session T</th><th>revenue/session H</th><th>incremental</th><th>" + level + "% CI</th><th>lift</th><th>p</th><th>SRM</th><th>attach</th><th>click-through</th><th>cumulative (" + cumulativeLevel + "% CI)</th></tr></thead><tbody>");
        foreach (var d in f.Days)
            sb.Append(C, $"<tr><td>{d.Start.UtcDateTime:yyyy-MM-dd}</td><td>{d.TreatmentSessions}</td><td>{d.HoldoutSessions}</td><td>{d.TreatmentOrders} / {d.HoldoutOrders}</td>"
                         + $"<td>{N(D(d.TreatmentRevenuePerSession))}</td><td>{N(D(d.HoldoutRevenuePerSession))}</td><td>{N(d.IncrementalRevenuePerSession)}</td>"
                         + $"<td>[{N(d.IncrementalLower)}, {N(d.IncrementalUpper)}]</td><td>{N(d.LiftPercent, "0.0")}%</td><td>{N(d.PValue, "0.000")}</td>"
                         + $"<td>{(d.SrmMismatch ? "MISMATCH" : "ok")}</td><td>{P(d.TreatmentAttachRate)}</td><td>{P(d.ClickThrough)}</td><td>{N(d.CumulativeIncremental)} [{N(d.CumulativeLower)}, {N(d.CumulativeUpper)}]</td></tr>");
        sb.Append("</tbody></table>");
        AppendAddOns(sb, f);
        sb.Append("</body></html>");
        return sb.ToString();
    }

    /// <summary>Acceptance per add-on over the running total (treatment), as published: the most shown, then the rest summed.</summary>
    private static void AppendAddOns(StringBuilder sb, ExperimentFigures f) =>
        AppendTable(sb, f, "Acceptance per add-on", "add-ons", ["sku", "impressions", "clicks", "acceptance", "ordered lines"],
            WithOther(f.AddOns, f.OtherAddOns).Select(a => new[] { E(a.Sku), Count(a.Impressions), Count(a.Clicks), P(a.Acceptance), Count(a.OrderedLines) }),
            "no impressions joined yet (the widget reports them to <code>/v1/impressions</code>)",
            "add-ons CSV", "An impression is one cart value version shown; a click is a one-click add credited to the position that showed it (docs/experiments.md).");

    /// <summary>
    /// Click-through per model version over the running total (treatment), beside the per-position figures: the versions
    /// with the most impressions, then the rest summed. The version is what ranked the impression (a trained version, or
    /// the heuristic's strategy), so a promotion, or the model against the heuristic, reads off one table.
    /// </summary>
    private static void AppendModels(StringBuilder sb, ExperimentFigures f) =>
        AppendTable(sb, f, "Click-through per model version", "models", ["model version", "impressions", "add-ons shown", "clicks", "click-through"],
            WithOther(f.Models, f.OtherModels).Select(m => new[] { E(m.ModelVersion), Count(m.Impressions), Count(m.AddOnsShown), Count(m.Clicks), P(m.ClickThrough) }),
            "no impressions with a model version joined yet",
            "models CSV", "A version's click-through is the clicks credited to the add-ons its impressions showed, over those add-ons: the overall click-through, restricted to what it ranked (docs/experiments.md).");

    /// <summary>One table of published rows (cells already HTML-encoded), its empty-state line, its CSV export link and a note.</summary>
    private static void AppendTable(StringBuilder sb, ExperimentFigures f, string title, string id, string[] headers, IEnumerable<string[]> rows,
        string empty, string export, string note)
    {
        sb.Append(C, $"<h2>{title}</h2><table id=\"{id}\"><thead><tr>{string.Concat(headers.Select(h => $"<th>{h}</th>"))}</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            sb.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{c}</td>"))).Append("</tr>");
            any = true;
        }
        if (!any) sb.Append(C, $"<tr><td colspan=\"{headers.Length}\">{empty}</td></tr>");
        sb.Append(C, $"</tbody></table><p class=\"note\">Export: <a href=\"{E(Uri.EscapeDataString(f.ExperimentId))}/{id}.csv?salt={E(Uri.EscapeDataString(f.Salt))}\">{export}</a>. {note}</p>");
    }

    private static string Count(long n) => n.ToString(C);

    private const string Style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1100px}h1 small{font-size:13px;color:#667;font-weight:normal}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;margin:16px 0}.card{border:1px solid #d5d9e0;border-radius:8px;padding:10px 14px}
        .card h2{font-size:13px;margin:0;color:#556}.card p{margin:2px 0;font-size:13px}.card p.big{font-size:26px;margin:4px 0;font-weight:600}.bad{border-color:#c0392b;background:#fdecea}
        .biased{border-style:dashed;background:#fafafa;color:#555}.chart{width:100%;max-width:720px;display:block;margin:12px 0}.chart .title{font-size:14px;font-weight:600}
        .chart .tick{font-size:11px;fill:#556}.chart .axis{stroke:#889}.chart .zero{stroke:#c0392b;stroke-dasharray:4 3}.chart .band{fill:#2c6fbb33;stroke:none}
        .chart .whisker{stroke:#2c6fbb;stroke-width:2}.chart .line{fill:none;stroke:#2c6fbb;stroke-width:2}.chart .dot{fill:#2c6fbb}.chart .empty{font-size:13px;fill:#889}
        table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d5d9e0;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}.note{color:#667;font-size:13px}
        """;

    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static double? D(decimal? v) => v is { } x ? (double)x : null;
    private static string N(double? v, string format = "0.00") => v is { } x ? x.ToString(format, C) : "–";
    private static string P(double? v) => v is { } x ? (100 * x).ToString("0.0", C) + "%" : "–";
}

/// <summary>The host's front page: where the shop, the widget and each experiment's dashboard are.</summary>
public static class DashboardPages
{
    public static Task Index(HttpContext context, bool shop)
    {
        var experiments = ExperimentFigures.List(context.RequestServices.GetRequiredService<ExperimentFeed>().Records);
        var sb = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CartCrossSell</title></head><body style=\"font:15px system-ui,sans-serif;margin:24px\"><h1>CartCrossSell</h1><ul>");
        if (shop) sb.Append("<li><a href=\"/shop\">Demo shop</a> (catalog, cart page with the widget, checkout)</li>");
        sb.Append("<li><a href=\"").Append(WidgetAssets.WidgetPath).Append("\">The widget</a> (<code>&lt;cart-cross-sell cart-id endpoint&gt;</code>)</li></ul><h2>Experiments</h2><ul>");
        foreach (var e in experiments)
            sb.Append(CultureInfo.InvariantCulture, $"<li><a href=\"/experiments/{WebUtility.UrlEncode(e.ExperimentId)}?salt={WebUtility.UrlEncode(e.Salt)}\">{WebUtility.HtmlEncode(e.ExperimentId)}</a> (salt '{WebUtility.HtmlEncode(e.Salt)}', {e.Sessions} sessions)</li>");
        if (experiments.Count == 0) sb.Append("<li>none in aov-aggregates yet: sessions are counted once they close</li>");
        sb.Append("</ul></body></html>");
        return Results.Content(sb.ToString(), "text/html; charset=utf-8").ExecuteAsync(context);
    }
}
