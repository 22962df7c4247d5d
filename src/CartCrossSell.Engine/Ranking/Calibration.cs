namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// Platt scaling: fits p = 1 / (1 + exp(A·s + B)) to scores and labels by Newton's method on the log loss, with
/// Platt's smoothed targets so a separable validation set cannot push A to infinity.
/// </summary>
public static class PlattScaling
{
    public static (double A, double B) Fit(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException("one label per score");
        var positives = labels.Count(l => l);
        var negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) return (-1, 0);
        var hi = (positives + 1.0) / (positives + 2.0);
        var lo = 1.0 / (negatives + 2.0);
        double a = 0, b = Math.Log((negatives + 1.0) / (positives + 1.0));
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double g1 = 0, g2 = 0, h11 = 1e-12, h22 = 1e-12, h21 = 0;
            for (var i = 0; i < scores.Count; i++)
            {
                var t = labels[i] ? hi : lo;
                var z = a * scores[i] + b;
                var p = z >= 0 ? Math.Exp(-z) / (1 + Math.Exp(-z)) : 1 / (1 + Math.Exp(z));
                var d = t - p;              // derivative of the log loss with respect to z
                var w = p * (1 - p);
                g1 += scores[i] * d;
                g2 += d;
                h11 += scores[i] * scores[i] * w;
                h22 += w;
                h21 += scores[i] * w;
            }
            var det = h11 * h22 - h21 * h21;
            if (Math.Abs(det) < 1e-18) break;
            var da = -(h22 * g1 - h21 * g2) / det;
            var db = -(-h21 * g1 + h11 * g2) / det;
            a += da;
            b += db;
            if (Math.Abs(da) < 1e-9 && Math.Abs(db) < 1e-9) break;
        }
        return (a, b);
    }
}
