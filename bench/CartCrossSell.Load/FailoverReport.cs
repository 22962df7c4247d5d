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
        text.AppendLine("*never*: the survivor had not written every moved partition when the run ended; such runs have no takeover time and are left out of its median.");
        text.AppendLine();
        text.AppendLine("| Rebalancing | Departure | Runs | Survivor's own partitions, longest gap (median) | Moved partitions written again after (median) | Steady longest gap (median) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var group in runs.GroupBy(r => (r.Rebalancing, r.Departure)))
            text.AppendLine(c, $"| {group.Key.Rebalancing} | {group.Key.Departure} | {group.Count()} | {Ms(Medians.Of(group.Select(r => r.SurvivorPause)))} | {TakeoverMedian(group.Select(r => r.Takeover).ToList())} | {Ms(Medians.Of(group.Select(r => r.SteadyGap)))} |");
        text.AppendLine();
        text.AppendLine("| Run | Rebalancing | Departure | Own / moved partitions | Survivor's longest gap | Moved written after | Steady gap |");
        text.AppendLine("|---:|---|---|---|---:|---:|---:|");
        var n = 0;
        foreach (var r in runs)
            text.AppendLine(c, $"| {++n} | {r.Rebalancing} | {r.Departure} | {r.OwnPartitions} / {r.MovedPartitions} | {Ms(r.SurvivorPause)} | {(r.Takeover is { } t ? Ms(t) : "never")} | {Ms(r.SteadyGap)} |");
        return text.ToString();
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>"after 1,234 ms", or "never" when the survivor did not write every moved partition before the run ended.</summary>
    public static string After(TimeSpan? takeover) => takeover is { } t ? "after " + Ms(t) : "never (not every one before the end of the run)";

    /// <summary>The median of the runs whose survivor wrote every moved partition, saying how many never did; "never" when none did.</summary>
    private static string TakeoverMedian(IReadOnlyList<TimeSpan?> takeovers)
    {
        var never = takeovers.Count(t => t is null);
        return Medians.OfPresent(takeovers) is not { } median ? "never"
            : never == 0 ? Ms(median)
            : string.Create(CultureInfo.InvariantCulture, $"{Ms(median)} (of {takeovers.Count - never}; never in {never})");
    }
}
