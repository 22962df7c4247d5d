using System.Globalization;
using System.Text;

namespace CartCrossSell.Load;

/// <summary>The fail-over runs as markdown: medians per protocol and departure, then every run.</summary>
public static class FailoverReport
{
    public static string Render(IReadOnlyList<FailoverRun> runs, string commandLine, string loadAtStart, string loadAtEnd)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Command: `{commandLine}`; load average {loadAtStart} at the start, {loadAtEnd} at the end.");
        text.AppendLine();
        text.AppendLine("| Rebalancing | Departure | Runs | Survivor's own partitions, longest gap (median) | Moved partitions written again after (median) | Steady longest gap (median) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var group in runs.GroupBy(r => (r.Rebalancing, r.Departure)))
            text.AppendLine(c, $"| {group.Key.Rebalancing} | {group.Key.Departure} | {group.Count()} | {Ms(Medians.Of(group.Select(r => r.SurvivorPause)))} | {Ms(Medians.Of(group.Select(r => r.Takeover)))} | {Ms(Medians.Of(group.Select(r => r.SteadyGap)))} |");
        text.AppendLine();
        text.AppendLine("| Run | Rebalancing | Departure | Own / moved partitions | Survivor's longest gap | Moved written after | Steady gap |");
        text.AppendLine("|---:|---|---|---|---:|---:|---:|");
        var n = 0;
        foreach (var r in runs)
            text.AppendLine(c, $"| {++n} | {r.Rebalancing} | {r.Departure} | {r.OwnPartitions} / {r.MovedPartitions} | {Ms(r.SurvivorPause)} | {Ms(r.Takeover)} | {Ms(r.SteadyGap)} |");
        return text.ToString();
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture) + " ms";
}
