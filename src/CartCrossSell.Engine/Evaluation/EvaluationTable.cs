using System.Globalization;
using System.Text;

namespace CartCrossSell.Engine.Evaluation;

/// <summary>Renders an evaluation report as a markdown table.</summary>
public static class EvaluationTable
{
    public static string ProtocolName(HoldoutProtocol protocol) =>
        protocol == HoldoutProtocol.LastAdded ? "last-added" : "random-item";

    /// <summary>The learned ranker's "fewer when unsure" curve on its validation slice, and the threshold chosen.</summary>
    public static string Training(double chosen, IReadOnlyList<Ranking.ThresholdPoint> curve, string summary)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"\nLearned ranker: {summary}. Show threshold {chosen:0.###} (validation):\n\n");
        sb.Append("| show threshold | HR@3 (validation carts of both protocols) | add-ons per cart | empty |\n|---:|---:|---:|---:|\n");
        foreach (var p in curve)
            sb.Append(CultureInfo.InvariantCulture,
                $"| {p.Threshold:0.###}{(p.Threshold == chosen ? " (chosen)" : "")} | {p.HitRateAt3:0.000} | {p.AddOnsPerCart:0.00} | {p.EmptyShare * 100:0.0}% |\n");
        return sb.ToString();
    }

    /// <summary>
    /// Per protocol, the learned ranker's HR@3 over the best simple baseline's: against the baselines as they are and,
    /// with a catalog, against the baselines held to the same cart rules (<see cref="Strategies.UnderCartRules"/>).
    /// </summary>
    public static string[] LearnedOverBestBaseline(EvaluationReport report)
    {
        var lines = new List<string>();
        foreach (var protocol in report.Results.Select(r => r.Protocol).Distinct())
        {
            var rows = report.Results.Where(r => r.Protocol == protocol).ToList();
            if (rows.FirstOrDefault(r => r.Strategy == Strategies.Learned) is not { } learned) continue;
            static double Best(IEnumerable<StrategyResult> baselines) => baselines.Select(r => r.HitRateAt3).DefaultIfEmpty(0).Max();
            var plain = Best(rows.Where(r => Strategies.Baselines.Contains(r.Strategy)));
            var ruled = rows.Where(r => Strategies.Baselines.Any(b => r.Strategy == b + Strategies.UnderCartRules)).ToList();
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{ProtocolName(protocol)}: learned HR@3 {learned.HitRateAt3:0.000} = {Ratio(learned.HitRateAt3, plain)} the best baseline ({plain:0.000})");
            if (ruled.Count > 0)
                line += string.Create(CultureInfo.InvariantCulture,
                    $", {Ratio(learned.HitRateAt3, Best(ruled))} the best baseline held to the same cart rules ({Best(ruled):0.000})");
            lines.Add(line + ".");
        }
        return [.. lines];

        static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "n/a ×";
    }

    public static string Markdown(EvaluationReport report)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        static string P(double? v) => v is null ? "n/a" : (v.Value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"Orders: {report.Orders} ({report.TrainOrders} train, {report.TestOrders} test from {report.SplitAt:yyyy-MM-dd HH:mm}); test baskets with 3+ items: {report.TestBaskets}; catalog: {(report.HasCatalog ? report.CatalogSize + " items" : "none")}.\n\n");
        foreach (var (protocol, count) in report.IneligibleBaskets)
            if (count > 0)
                sb.Append(CultureInfo.InvariantCulture,
                    $"{ProtocolName(protocol)}: {report.TestBaskets - count} baskets scored; {count} left out because their hidden item is a substitute of an item left in the cart or priced at or above the cap, which no strategy may show.\n");
        if (report.IneligibleBaskets.Values.Any(c => c > 0)) sb.Append('\n');
        sb.Append("| protocol | strategy | HR@1 | HR@3 | NDCG@3 | MRR@10 | coverage | duplicates | substitutes | in price band | add-ons per cart | empty | hit revenue per cart |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in report.Results)
            sb.Append(CultureInfo.InvariantCulture,
                $"| {ProtocolName(r.Protocol)} | {r.Strategy} | {F(r.HitRateAt1)} | {F(r.HitRateAt3)} | {F(r.NdcgAt3)} | {F(r.MrrAt10)} | {P(r.CatalogCoverage)} | {P(r.DuplicateShare)} | {P(r.SubstituteShare)} | {P(r.PriceBandShare)} | {r.MeanAddOns.ToString("0.00", CultureInfo.InvariantCulture)} | {P(r.EmptyShare)} | {r.HitRevenuePerBasket.ToString("0.00", CultureInfo.InvariantCulture)} |\n");
        var ratios = LearnedOverBestBaseline(report);
        if (ratios.Length > 0) sb.Append('\n');
        foreach (var line in ratios) sb.Append(line).Append('\n');
        if (report.CandidateRecall.Count > 0)
        {
            var sources = report.CandidateRecall[0].BySource.Keys.ToList();
            sb.Append(CultureInfo.InvariantCulture, $"\nCandidate recall of the learned ranker ({report.ModelVersion}): share of hidden items among the candidates.\n\n");
            sb.Append("| protocol | " + string.Join(" | ", sources) + " | union | candidates per cart |\n");
            sb.Append("|---|" + string.Concat(sources.Select(_ => "---:|")) + "---:|---:|\n");
            foreach (var c in report.CandidateRecall)
                sb.Append(CultureInfo.InvariantCulture,
                    $"| {ProtocolName(c.Protocol)} | {string.Join(" | ", sources.Select(s => P(c.BySource[s])))} | {P(c.Union)} | {c.MeanCandidates.ToString("0", CultureInfo.InvariantCulture)} |\n");
        }
        foreach (var note in report.Notes) sb.Append(CultureInfo.InvariantCulture, $"\nNote: {note}.");
        if (report.Notes.Count > 0) sb.Append('\n');
        return sb.ToString();
    }
}
