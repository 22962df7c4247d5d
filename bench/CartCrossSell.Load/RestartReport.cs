using System.Globalization;
using System.Text;

namespace CartCrossSell.Load;

/// <summary>The restart runs as markdown: the fill, medians per mode, then every run.</summary>
public static class RestartReport
{
    public static string Render(RestartFill fill, IReadOnlyList<RestartRun> runs, TimeSpan sessionTimeout, string machine, string commandLine, string loadAtStart, string loadAtEnd)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Machine: {machine}.");
        text.AppendLine();
        text.AppendLine(c, $"Command: `{commandLine}`; load average {loadAtStart} at the start, {loadAtEnd} at the end.");
        text.AppendLine();
        text.AppendLine(c, $"Fill: {fill.Carts:N0} carts, {fill.Events:N0} item adds, every value in Redis after {fill.Took.TotalSeconds:N0} s; recommender {fill.Memory?.ToString() ?? "n/a"}; " +
                           $"state directory {MiB(fill.StateBytes)}; carts changelog {fill.ChangelogWritten:N0} records written, {fill.ChangelogRetained:N0} still held by the mock cluster. " +
                           $"`Streams:SessionTimeout` {sessionTimeout.TotalSeconds:0} s.");
        text.AppendLine();
        text.AppendLine("Times from the new process's start. *RUNNING*: `cartxsell_topology_state` 2, Streamiz's RUNNING, which comes once the " +
                        "partitions are assigned, before the tasks have restored their stores; */health/ready*: every task running, stores restored. *stop*: SIGTERM, restart on the same state directory; *kill*: SIGKILL, same directory; " +
                        "*wiped*: SIGTERM, directory deleted (the changelog replayed, as far as the mock kept it). *Complete*: the new value's cart value " +
                        "is the cart's earlier lines plus the new one (first cart / last cart filled). *Group join* and *restoration* come from the " +
                        "service's log: the stream thread's start to its partitions' assignment, and Streamiz's \"Restoration took\" after it; " +
                        "their medians are of the runs whose log has the line (n/a: none has).");
        text.AppendLine();
        text.AppendLine("| Mode | Runs | RUNNING (median) | /health/ready (median) | New event on a first cart answered (median) | On a last cart (median) | Group join (median) | Restoration (median) | Cart records restored (median) | Complete |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var group in runs.GroupBy(r => r.Mode))
            text.AppendLine(c, $"| {group.Key} | {group.Count()} | {S(Medians.Of(group.Select(r => r.Running)))} | {S(Medians.Of(group.Select(r => r.Ready)))} | {S(Medians.Of(group.Select(r => r.FirstCart)))} | {S(Medians.Of(group.Select(r => r.LastCart)))} | {S(Medians.OfPresent(group.Select(r => r.GroupJoin)))} | {S(Medians.OfPresent(group.Select(r => r.Restoration)))} | {Medians.Of(group.Select(r => r.RestoredCartRecords)):N0} | {Complete(group)} |");
        text.AppendLine();
        text.AppendLine("| Run | Mode | Repeat | State dir before | RUNNING | Ready | First cart | Last cart | Group join | Restoration | Cart records restored (all stores) | Complete (first / last) | Memory after |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        var n = 0;
        foreach (var r in runs)
            text.AppendLine(c, $"| {++n} | {r.Mode} | {r.Repeat} | {MiB(r.StateBytes)} | {S(r.Running)} | {S(r.Ready)} | {S(r.FirstCart)} | {S(r.LastCart)} | {S(r.GroupJoin)} | {S(r.Restoration)} | {r.RestoredCartRecords:N0} ({r.RestoredRecords:N0}) | {Yes(r.FirstCartComplete)} / {Yes(r.LastCartComplete)} | {r.Memory?.ToString() ?? "n/a"} |");
        return text.ToString();
    }

    private static string Complete(IEnumerable<RestartRun> runs)
    {
        var list = runs.ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"first {list.Count(r => r.FirstCartComplete)}/{list.Count}, last {list.Count(r => r.LastCartComplete)}/{list.Count}");
    }


    private static string Yes(bool b) => b ? "yes" : "**no**";

    private static string S(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("N2", CultureInfo.InvariantCulture) + " s" : "n/a";

    private static string MiB(long bytes) => (bytes / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) + " MiB";
}
