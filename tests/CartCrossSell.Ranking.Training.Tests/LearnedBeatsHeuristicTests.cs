using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.OrderHistory;
using Xunit.Abstractions;

namespace CartCrossSell.Ranking.Training.Tests;

/// <summary>A fact that needs the full-year development set in ../shared/data (CI copies shared/ beside the clone).</summary>
public sealed class DevelopmentSetFactAttribute : FactAttribute
{
    public static string Path => System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryFiles.Root, "..", "shared", "data", "online-retail-2010-2011.csv"));

    public DevelopmentSetFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"the development set {Path} is not on this machine (it is beside every checkout in CI)";
    }
}

public class LearnedBeatsHeuristicTests(ITestOutputHelper output)
{
    /// <summary>
    /// A fixed, time-ordered slice of the development set: its oldest 6,000 orders (December 2010 to spring 2011); the
    /// ranker is trained on the oldest 80 % of the slice only and both rankers are scored on the newest 20 %.
    /// </summary>
    [DevelopmentSetFact]
    public void The_learned_ranker_beats_the_heuristic_on_a_time_ordered_slice_of_the_development_set()
    {
        var orders = OrderFiles.Read(DevelopmentSetFactAttribute.Path).Orders
            .OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal).Take(6000)
            .Select(o => new EvalOrder(o.OrderId, o.Timestamp, o.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList()))
            .ToList();
        var (train, _) = OfflineEvaluation.Split(orders, 0.2);
        var (model, _) = RankerTrainer.Train(train.ToList(), null);
        var report = OfflineEvaluation.Run(orders, null, new EvaluationOptions { Model = model });
        foreach (var protocol in new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem })
        {
            double Hr(string strategy) => report.Results.Single(r => r.Strategy == strategy && r.Protocol == protocol).HitRateAt3;
            var learned = Hr(Strategies.Learned);
            var heuristic = Hr(Strategies.BasketAware);
            output.WriteLine($"{protocol}: learned {learned:F3}, heuristic {heuristic:F3}, baselines {string.Join(", ", Strategies.Baselines.Select(b => $"{b} {Hr(b):F3}"))}");
            Assert.True(learned >= 1.1 * heuristic, $"{protocol}: learned HR@3 {learned:F3} must be at least 1.1 x the heuristic's {heuristic:F3}");
        }
    }
}
