using System.Globalization;
using System.Net;
using System.Text;

namespace CartCrossSell.Web.Dashboard;

/// <summary>A point of a series with its interval; points without an estimate are left out of the line and the band.</summary>
public readonly record struct BandPoint(DateTimeOffset At, double? Value, double? Lower, double? Upper);

/// <summary>Server-side SVG: one estimate over time with its confidence band and the zero line. No script, no downloads.</summary>
public static class SvgChart
{
    private const int Width = 720, Height = 260, Left = 64, Right = 16, Top = 28, Bottom = 40;
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Band(string title, IReadOnlyList<BandPoint> series, string yLabel)
    {
        var points = series.Where(p => p.Value is not null).ToList();
        var sb = new StringBuilder();
        sb.Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Escape(title)}\" class=\"chart\">");
        sb.Append(C, $"<text x=\"{Left}\" y=\"18\" class=\"title\">{Escape(title)}</text>");
        if (points.Count == 0)
        {
            sb.Append(C, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" class=\"empty\">no estimate yet (each cohort needs two sessions with some spread)</text></svg>");
            return sb.ToString();
        }
        var ys = points.SelectMany(p => new[] { p.Value!.Value, p.Lower ?? p.Value!.Value, p.Upper ?? p.Value!.Value }).Append(0).ToList();
        var (yMin, yMax) = (ys.Min(), ys.Max());
        if (yMax - yMin < 1e-9) (yMin, yMax) = (yMin - 1, yMax + 1);
        var pad = (yMax - yMin) * 0.08;
        (yMin, yMax) = (yMin - pad, yMax + pad);
        var (t0, t1) = (points[0].At.ToUnixTimeMilliseconds(), points[^1].At.ToUnixTimeMilliseconds());
        double X(DateTimeOffset t) => t1 == t0 ? Left + (Width - Left - Right) / 2.0 : Left + (t.ToUnixTimeMilliseconds() - t0) * (double)(Width - Left - Right) / (t1 - t0);
        double Y(double v) => Top + (yMax - v) * (Height - Top - Bottom) / (yMax - yMin);

        // axes, ticks and the zero line
        sb.Append(C, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" class=\"axis\"/>");
        sb.Append(C, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" class=\"axis\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var v = yMin + (yMax - yMin) * i / 4;
            sb.Append(C, $"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\" class=\"tick\">{v:0.00}</text>");
        }
        sb.Append(C, $"<line x1=\"{Left}\" y1=\"{Y(0):0.0}\" x2=\"{Width - Right}\" y2=\"{Y(0):0.0}\" class=\"zero\"/>");
        sb.Append(C, $"<text x=\"{Left}\" y=\"{Height - 12}\" class=\"tick\">{points[0].At.UtcDateTime:yyyy-MM-dd HH:mm} UTC</text>");
        if (points.Count > 1) sb.Append(C, $"<text x=\"{Width - Right}\" y=\"{Height - 12}\" text-anchor=\"end\" class=\"tick\">{points[^1].At.UtcDateTime:yyyy-MM-dd HH:mm} UTC</text>");
        sb.Append(C, $"<text transform=\"translate(14 {Height / 2}) rotate(-90)\" text-anchor=\"middle\" class=\"tick\">{Escape(yLabel)}</text>");

        // the band: upper edge left to right, lower edge back
        var banded = points.Where(p => p.Lower is not null && p.Upper is not null).ToList();
        if (banded.Count > 0)
        {
            var outline = banded.Select(p => Pair(X(p.At), Y(p.Upper!.Value))).Concat(banded.AsEnumerable().Reverse().Select(p => Pair(X(p.At), Y(p.Lower!.Value))));
            if (banded.Count == 1)
            {
                var p = banded[0];
                sb.Append(C, $"<line x1=\"{X(p.At):0.0}\" y1=\"{Y(p.Upper!.Value):0.0}\" x2=\"{X(p.At):0.0}\" y2=\"{Y(p.Lower!.Value):0.0}\" class=\"whisker\"/>");
            }
            else sb.Append(C, $"<polygon points=\"{string.Join(' ', outline)}\" class=\"band\"/>");
        }
        sb.Append(C, $"<polyline points=\"{string.Join(' ', points.Select(p => Pair(X(p.At), Y(p.Value!.Value))))}\" class=\"line\"/>");
        foreach (var p in points)
            sb.Append(C, $"<circle cx=\"{X(p.At):0.0}\" cy=\"{Y(p.Value!.Value):0.0}\" r=\"3\" class=\"dot\"><title>{p.At.UtcDateTime:yyyy-MM-dd HH:mm}: {p.Value:0.00} [{p.Lower:0.00}, {p.Upper:0.00}]</title></circle>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Pair(double x, double y) => string.Create(C, $"{x:0.0},{y:0.0}");

    private static string Escape(string s) => WebUtility.HtmlEncode(s);
}
