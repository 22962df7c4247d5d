using System.Globalization;
using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// The "fewer when unsure" curve as a picture for a merchandiser: HR@3 on the validation carts against the add-ons
/// shown per cart, one point per show threshold, the chosen one marked.
/// </summary>
public static class ThresholdChart
{
    public static void Draw(IReadOnlyList<ThresholdPoint> curve, double chosen, string modelVersion, string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Title($"Fewer when unsure: hits against add-ons shown ({modelVersion}, validation carts)");
        var xs = curve.Select(p => p.AddOnsPerCart).ToArray();
        var ys = curve.Select(p => p.HitRateAt3).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.Color = ScottPlot.Colors.SteelBlue;
        line.LineWidth = 2;
        line.MarkerSize = 6;
        line.LegendText = "show threshold grid";
        (double X, double Y)? labelled = null;
        foreach (var p in curve)
        {
            // Thresholds that land on (nearly) the same point share the first one's label.
            if (labelled is { } l && Math.Abs(l.X - p.AddOnsPerCart) < 0.05 && Math.Abs(l.Y - p.HitRateAt3) < 0.002) continue;
            labelled = (p.AddOnsPerCart, p.HitRateAt3);
            var text = plot.Add.Text(p.Threshold.ToString("0.###", CultureInfo.InvariantCulture), p.AddOnsPerCart, p.HitRateAt3);
            text.LabelFontSize = 10;
            text.LabelFontColor = ScottPlot.Colors.Gray;
        }
        if (curve.FirstOrDefault(p => p.Threshold == chosen) is { } pick)
        {
            var marker = plot.Add.Marker(pick.AddOnsPerCart, pick.HitRateAt3);
            marker.Color = ScottPlot.Colors.DarkOrange;
            marker.Size = 14;
            marker.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"chosen: {chosen:0.###} (HR@3 {pick.HitRateAt3:0.000}, {pick.AddOnsPerCart:0.00} add-ons per cart, {pick.EmptyShare:P1} empty)");
        }
        plot.XLabel("add-ons shown per cart");
        plot.YLabel("HR@3 (validation)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        plot.SavePng(path, 1000, 560);
    }
}
