using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Experiments;

namespace CartCrossSell.Benchmarks;

/// <summary>
/// <c>aov-aggregator</c>: what the aov-aggregator's sums cost on a month-long experiment whose visitors come back. A
/// synthetic experiment (<c>--days</c>, <c>--visitors</c>, <c>--sessions-per-visitor</c>, seed 7): every visitor's
/// sessions at random times over the days, a tenth of the visitors in the holdout, one session in twenty revised once
/// (a late view moves its exposure up to 30 minutes earlier). Two timings, each repeated:
/// <list type="bullet">
/// <item><b>stream</b>: the session outcomes in the order they close (exposure time), applied one by one as the
/// processor does, publishing every 1,000 changes (the windows touched since, built as records), the visitor tables
/// forgotten as the processor forgets them (a day and 50 minutes after the newest exposure);</item>
/// <item><b>restore</b>: the final outcomes in key order, as a start derives the sums from <c>aov-sessions</c>, then
/// every window built once (the republication after a start); <c>--restore-by-change</c> applies them one by one
/// as the stream does instead of <see cref="AovAggregator.AddRestored"/>.</item>
/// </list>
/// </summary>
public static class AovAggregatorBench
{
    public static int Run(string[] args, int repeats = 5)
    {
        var days = Option(args, "--days", 30);
        var visitors = Option(args, "--visitors", 100_000);
        var perVisitor = Option(args, "--sessions-per-visitor", 3);
        // What AddRestored saves: the restore applied change by change, as the stream applies them.
        var byChange = args.Contains("--restore-by-change");
        var (changes, finals) = Experiment(days, visitors, perVisitor);
        var retention = TimeSpan.FromMinutes(50) + TimeSpan.FromDays(1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{finals.Count:N0} sessions of {visitors:N0} visitors over {days} days ({changes.Count:N0} changes with the revisions), {repeats} runs each"));

        var streamRates = new List<double>();
        var restoreSeconds = new List<double>();
        long published = 0, heapAfterRestore = 0;
        for (var run = 1; run <= repeats; run++)
        {
            var aggregator = new AovAggregator();
            var touched = new HashSet<AggregateKey>();
            var newest = DateTimeOffset.MinValue;
            var at = DateTimeOffset.UnixEpoch;
            published = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < changes.Count; i++)
            {
                aggregator.Accumulate(changes[i], touched);
                if (changes[i].Current is { } current && current.ExposedAt > newest) newest = current.ExposedAt;
                if ((i + 1) % 1_000 != 0 && i + 1 != changes.Count) continue;
                aggregator.ForgetVisitorsOfWindowsEndingBefore(newest - retention);
                foreach (var key in touched)
                    if (aggregator.TryGet(key, at, out _)) published++;
                touched.Clear();
            }
            clock.Stop();
            streamRates.Add(changes.Count / clock.Elapsed.TotalSeconds);

            var byKey = finals.OrderBy(o => o.SessionKey, StringComparer.Ordinal).ToList();
            GC.Collect();
            clock.Restart();
            var restored = new AovAggregator();
            foreach (var outcome in byKey)
                if (byChange) restored.Accumulate(SessionOutcomeChange.Closed(outcome));
                else restored.AddRestored(outcome);
            var windows = restored.Snapshot(at).Count;
            clock.Stop();
            restoreSeconds.Add(clock.Elapsed.TotalSeconds);
            // The two paths must end in the same figures (the stream forgot its old visitor tables, the restore did not).
            if (run == 1 && Differences(aggregator, restored, at) is { } difference)
            {
                Console.WriteLine($"MISMATCH between the stream and the restore: {difference}");
                return 1;
            }
            aggregator = null!; // the heap below is the restore's alone
            heapAfterRestore = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(restored);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: stream {streamRates[^1]:N0} changes/s ({published:N0} window records built), restore {restoreSeconds[^1]:0.00} s ({windows:N0} windows)"));
        }

        streamRates.Sort();
        restoreSeconds.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stream: median {streamRates[repeats / 2]:N0} changes/s (min {streamRates[0]:N0}, max {streamRates[^1]:N0}); " +
            $"restore: median {restoreSeconds[repeats / 2]:0.00} s (min {restoreSeconds[0]:0.00}, max {restoreSeconds[^1]:0.00}); " +
            $"heap after a restore {heapAfterRestore / 1024.0 / 1024.0:0.0} MB"));
        return 0;
    }

    /// <summary>The first window whose aggregate differs between the two (windows every revision left empty aside), or null.</summary>
    private static string? Differences(AovAggregator streamed, AovAggregator restored, DateTimeOffset at)
    {
        static List<AovAggregate> Held(AovAggregator a, DateTimeOffset at) =>
            a.Snapshot(at).Where(x => x.Treatment.Sums.ExposedSessions + x.Holdout.Sums.ExposedSessions > 0).ToList();
        var (left, right) = (Held(streamed, at), Held(restored, at));
        if (left.Count != right.Count) return $"{left.Count} windows against {right.Count}";
        for (var i = 0; i < left.Count; i++)
            if (left[i] != right[i]) return $"{left[i].Window} {left[i].WindowStart:O}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the restore ends in the stream's figures, every window's visitor sums to date included ({left.Count:N0} windows)"));
        return null;
    }

    /// <summary>The changes in the order sessions close, and the final outcomes they end in.</summary>
    private static (List<SessionOutcomeChange> Changes, List<SessionOutcome> Finals) Experiment(int days, int visitors, int perVisitor)
    {
        var rng = new Random(7);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new List<(DateTimeOffset ClosedAt, SessionOutcomeChange Change)>();
        var finals = new List<SessionOutcome>();
        for (var v = 0; v < visitors; v++)
        {
            var visitor = $"visitor-{v}";
            var cohort = rng.Next(10) == 0 ? Cohort.Holdout : Cohort.Treatment;
            for (var s = 0; s < perVisitor; s++)
            {
                var exposed = start.AddSeconds(rng.Next(0, days * 86_400));
                var orders = rng.Next(4) == 0 ? 1 : 0;
                var outcome = new SessionOutcome
                {
                    SessionKey = $"{visitor}-{s}", SessionId = $"{visitor}-{s}", SubjectId = visitor, ExperimentId = "bench", Salt = "salt",
                    HoldoutShare = 0.1, Cohort = cohort, ExposedAt = exposed, WindowStart = exposed, WindowEnd = exposed.AddMinutes(rng.Next(1, 40)),
                    Revenue = orders == 0 ? 0m : rng.Next(500, 30_000) / 100m, Orders = orders, CrossSellLines = 0, CrossSellRevenue = 0m,
                };
                var closedAt = outcome.WindowEnd.AddMinutes(50); // inactivity gap and grace
                events.Add((closedAt, SessionOutcomeChange.Closed(outcome)));
                if (rng.Next(20) == 0)
                {
                    var revised = outcome with { ExposedAt = exposed.AddMinutes(-rng.Next(1, 30)), Revision = 1 };
                    events.Add((closedAt.AddMinutes(rng.Next(1, 40)), SessionOutcomeChange.Revised(outcome, revised)));
                    outcome = revised;
                }
                finals.Add(outcome);
            }
        }

        return (events.OrderBy(e => e.ClosedAt).Select(e => e.Change).ToList(), finals);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
