using FsCheck.Xunit;

namespace CartCrossSell.Experiments.Tests;

/// <summary>
/// The aggregate of a window must not depend on how its sessions arrived: shuffled, revised, merged and retracted
/// outcomes streamed through the aggregator end exactly (decimal for decimal, count for count) where a batch
/// computation over the final outcomes ends.
/// </summary>
public sealed class StreamingEqualsBatchTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ComputedAt = new(2026, 3, 9, 0, 0, 0, TimeSpan.Zero);

    [Property(MaxTest = 60)]
    public void Shuffled_streams_with_revisions_equal_the_batch(int seed)
    {
        var rng = new Random(seed);
        var (finals, changes) = BuildHistory(rng, sessions: 250);
        var aggregator = new AovAggregator();
        // Random batch sizes: the result must not depend on how a topology polls either.
        var position = 0;
        while (position < changes.Count)
        {
            var take = rng.Next(1, 40);
            aggregator.ApplyAll(changes.Skip(position).Take(take), ComputedAt);
            position += take;
        }

        AssertEqualsBatch(aggregator, finals);
    }

    [Property(MaxTest = 30)]
    public void Outcomes_restored_in_any_order_and_changed_after_equal_the_batch(int seed)
    {
        var rng = new Random(seed);
        var (finals, _) = BuildHistory(rng, sessions: 250);
        var aggregator = new AovAggregator();
        // A restore reads the table by key, in no time order; the visitor sums to date are computed after it.
        foreach (var outcome in finals.OrderBy(_ => rng.Next())) aggregator.AddRestored(outcome);
        AssertEqualsBatch(aggregator, finals);

        // Then the stream goes on: a fifth of the sessions revised, a late view moving the exposure earlier (into
        // another hour or day) and perhaps another visitor's session absorbed (more revenue, another visitor's id).
        var current = finals.ToDictionary(o => o.SessionKey);
        foreach (var outcome in finals.Where(_ => rng.Next(5) == 0))
        {
            var revised = outcome with
            {
                ExposedAt = outcome.ExposedAt.AddMinutes(-rng.Next(1, 600)), Revision = outcome.Revision + 1,
                SubjectId = rng.Next(3) == 0 ? $"v{rng.Next(100)}" : outcome.SubjectId,
            };
            aggregator.Apply(SessionOutcomeChange.Revised(outcome, revised), ComputedAt);
            current[outcome.SessionKey] = revised;
        }

        AssertEqualsBatch(aggregator, current.Values.ToList());
    }

    [Fact]
    public void A_large_shuffled_stream_equals_the_batch()
    {
        var (finals, changes) = BuildHistory(new Random(20260302), sessions: 20_000);
        var aggregator = new AovAggregator();
        aggregator.ApplyAll(changes, ComputedAt);
        AssertEqualsBatch(aggregator, finals);
    }

    [Property(MaxTest = 25)]
    public void Processor_outcomes_from_out_of_order_events_within_grace_equal_in_order_sessionisation(int seed)
    {
        var rng = new Random(seed);
        var experiment = new ExperimentConfig("e2e", "salt", 0.3);
        var gap = TimeSpan.FromMinutes(30);
        var grace = TimeSpan.FromMinutes(20);
        var events = new List<ExperimentEvent>();
        for (var s = 0; s < 60; s++)
        {
            var session = $"s{s}";
            var visitor = rng.Next(3) == 0 ? null : $"v{rng.Next(40)}";
            var t = Start.AddMinutes(rng.Next(0, 600));
            for (var e = rng.Next(1, 8); e > 0; e--)
            {
                t = t.AddMinutes(rng.Next(0, 45));
                events.Add(rng.Next(3) == 0
                    ? new OrderCompletedEvent(session, visitor, t, $"o{s}-{e}", RandomLines(rng))
                    : new CartViewedEvent(session, visitor, t));
            }
        }

        // Arrival order: event time plus a delay of at most the grace period, so nothing may be dropped.
        var arrival = events.Select(e => (Event: e, Arrives: e.Timestamp.AddSeconds(rng.Next(0, (int)grace.TotalSeconds))))
            .OrderBy(x => x.Arrives).Select(x => x.Event).ToList();
        var processor = new SessionOutcomeProcessor(experiment, new SessionWindowOptions { InactivityGap = gap, Grace = grace });
        var published = new Dictionary<string, SessionOutcome>();
        var aggregator = new AovAggregator();
        void Publish(IEnumerable<SessionOutcomeChange> changes)
        {
            foreach (var change in changes)
            {
                if (change.Current is null)
                {
                    Assert.True(published.Remove(change.SessionKey));
                }
                else
                {
                    Assert.Equal(change.Previous is null, !published.ContainsKey(change.SessionKey));
                    published[change.SessionKey] = change.Current;
                }

                aggregator.Apply(change, ComputedAt);
            }
        }

        foreach (var evt in arrival)
        {
            Publish(processor.Process(evt).Changes);
        }

        Publish(processor.AdvanceTo(Start.AddDays(3)));
        Assert.Equal(0, processor.DroppedLateEvents);
        Assert.Equal(0, processor.LiveWindows);

        var expected = Sessionise(events, gap, experiment).OrderBy(o => (o.SessionId, o.WindowStart)).ToList();
        var actual = published.Values.OrderBy(o => (o.SessionId, o.WindowStart)).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SameFigures(actual[i] with { SessionKey = expected[i].SessionKey }), $"{expected[i]} vs {actual[i]}");
        }

        AssertEqualsBatch(aggregator, published.Values.ToList());
    }

    private static IReadOnlyList<ExperimentOrderLine> RandomLines(Random rng) =>
        Enumerable.Range(0, rng.Next(1, 4))
            .Select(i => new ExperimentOrderLine($"sku{i}", rng.Next(1, 3), rng.Next(100, 9_999) / 100m,
                rng.Next(4) == 0 ? ExperimentOrderLine.CrossSellWidgetSource : "storefront"))
            .ToList();

    /// <summary>The reference: sort each session's events and cut wherever two are a gap or more apart.</summary>
    private static IEnumerable<SessionOutcome> Sessionise(List<ExperimentEvent> events, TimeSpan gap, ExperimentConfig experiment)
    {
        foreach (var bySession in events.GroupBy(e => e.SessionId))
        {
            var ordered = bySession.OrderBy(e => e.Timestamp).ToList();
            var current = new List<ExperimentEvent>();
            foreach (var evt in ordered)
            {
                if (current.Count > 0 && evt.Timestamp - current[^1].Timestamp >= gap)
                {
                    if (Reference(current, experiment) is { } done)
                    {
                        yield return done;
                    }

                    current = [];
                }

                current.Add(evt);
            }

            if (Reference(current, experiment) is { } last)
            {
                yield return last;
            }
        }
    }

    private static SessionOutcome? Reference(List<ExperimentEvent> session, ExperimentConfig experiment)
    {
        var exposure = session.OfType<CartViewedEvent>().FirstOrDefault();
        if (exposure is null)
        {
            return null;
        }

        var lines = session.OfType<OrderCompletedEvent>().SelectMany(o => o.Lines).ToList();
        var subject = CohortAssignment.SubjectId(exposure.VisitorId, exposure.SessionId);
        return new SessionOutcome
        {
            SessionKey = "reference",
            SessionId = exposure.SessionId,
            SubjectId = subject,
            ExperimentId = experiment.ExperimentId,
            Salt = experiment.Salt,
            HoldoutShare = experiment.HoldoutShare,
            Cohort = CohortAssignment.Assign(experiment.Salt, experiment.ExperimentId, subject, experiment.HoldoutShare),
            ExposedAt = exposure.Timestamp,
            WindowStart = session[0].Timestamp,
            WindowEnd = session[^1].Timestamp,
            Revenue = lines.Sum(l => l.Quantity * l.UnitPrice),
            Orders = session.OfType<OrderCompletedEvent>().Count(),
            CrossSellLines = lines.Count(l => l.IsCrossSell),
            CrossSellRevenue = lines.Where(l => l.IsCrossSell).Sum(l => l.Quantity * l.UnitPrice),
        };
    }

    /// <summary>
    /// A history of changes whose net effect is <c>finals</c>: each session is closed with a first draft, revised
    /// zero to three times (drafts may sit in other hours and even the other cohort), and some sessions are emitted
    /// and then retracted as absorbed. Sessions interleave at random; each session's own changes keep their order.
    /// </summary>
    private static (List<SessionOutcome> Finals, List<SessionOutcomeChange> Changes) BuildHistory(Random rng, int sessions)
    {
        var finals = new List<SessionOutcome>();
        var perSession = new List<Queue<SessionOutcomeChange>>();
        for (var i = 0; i < sessions; i++)
        {
            var experimentId = rng.Next(5) == 0 ? "exp-b" : "exp-a";
            // About three sessions per visitor, at random times over the three days: visitors come back in other hours and days.
            var visitor = $"v{i * 7_919L % Math.Max(1, sessions / 3)}";
            var final = RandomOutcome(rng, $"k{i}", experimentId, Start.AddMinutes(rng.Next(0, 3 * 24 * 60))) with { SubjectId = visitor };
            var drafts = Enumerable.Range(0, rng.Next(0, 4))
                // Late views only move an exposure earlier, so drafts were exposed no earlier than the final.
                .Select(_ => RandomOutcome(rng, final.SessionKey, experimentId, final.ExposedAt.AddMinutes(rng.Next(0, 120))) with { SubjectId = visitor })
                .Append(final)
                .ToList();
            var queue = new Queue<SessionOutcomeChange>();
            queue.Enqueue(SessionOutcomeChange.Closed(drafts[0] with { Revision = 0 }));
            for (var r = 1; r < drafts.Count; r++)
            {
                queue.Enqueue(SessionOutcomeChange.Revised(drafts[r - 1] with { Revision = r - 1 }, drafts[r] with { Revision = r }));
            }

            finals.Add(final with { Revision = drafts.Count - 1 });
            perSession.Add(queue);

            if (rng.Next(6) == 0)
            {
                var absorbed = RandomOutcome(rng, $"absorbed{i}", experimentId, final.ExposedAt.AddMinutes(rng.Next(0, 90)));
                perSession.Add(new Queue<SessionOutcomeChange>([SessionOutcomeChange.Closed(absorbed), SessionOutcomeChange.Retracted(absorbed)]));
            }
        }

        var changes = new List<SessionOutcomeChange>();
        var live = perSession.Where(q => q.Count > 0).ToList();
        while (live.Count > 0)
        {
            var pick = rng.Next(live.Count);
            changes.Add(live[pick].Dequeue());
            if (live[pick].Count == 0)
            {
                live[pick] = live[^1];
                live.RemoveAt(live.Count - 1);
            }
        }

        return (finals, changes);
    }

    private static SessionOutcome RandomOutcome(Random rng, string key, string experimentId, DateTimeOffset exposedAt)
    {
        var orders = rng.Next(3) == 0 ? rng.Next(1, 3) : 0;
        var revenue = orders == 0 ? 0m : rng.Next(1, 5_000_000) / 100m;
        var crossSellLines = orders > 0 && rng.Next(4) == 0 ? rng.Next(1, 3) : 0;
        return new SessionOutcome
        {
            SessionKey = key,
            SessionId = key,
            SubjectId = key,
            ExperimentId = experimentId,
            Salt = "salt",
            HoldoutShare = 0.1,
            Cohort = rng.Next(10) == 0 ? Cohort.Holdout : Cohort.Treatment,
            ExposedAt = exposedAt,
            WindowStart = exposedAt,
            WindowEnd = exposedAt.AddMinutes(rng.Next(0, 40)),
            Revenue = revenue,
            Orders = orders,
            CrossSellLines = crossSellLines,
            CrossSellRevenue = crossSellLines > 0 ? Math.Round(revenue * rng.Next(1, 100) / 100m, 2) : 0m,
        };
    }

    /// <summary>Batch: group the final outcomes by window and add the fields up directly, with no shared code.</summary>
    private static void AssertEqualsBatch(AovAggregator aggregator, IReadOnlyList<SessionOutcome> finals)
    {
        var batch = finals
            .SelectMany(o => AggregateKey.For(o).Select(k => (Key: k, Outcome: o)))
            .GroupBy(x => x.Key, x => x.Outcome)
            .ToDictionary(g => g.Key, g => g.ToList());

        var options = new AovAggregatorOptions();
        var streamed = aggregator.Snapshot(ComputedAt);
        foreach (var aggregate in streamed)
        {
            var key = new AggregateKey(aggregate.ExperimentId, aggregate.Salt, aggregate.Window,
                aggregate.Window == WindowKind.Total ? AggregateKey.TotalKeyStart : aggregate.WindowStart);
            // Hour and day windows: every session of the experiment up to the window's end, each visitor once.
            var (treatmentToDate, holdoutToDate) = key.Window == WindowKind.Total
                ? (null, null)
                : ((VisitorSums?)Visitors(ToDate(finals, key, Cohort.Treatment)), (VisitorSums?)Visitors(ToDate(finals, key, Cohort.Holdout)));
            if (!batch.TryGetValue(key, out var outcomes))
            {
                // A window every draft moved out of: it must be exactly empty.
                Assert.Equal(CohortSums.Empty, aggregate.Treatment.Sums);
                Assert.Equal(CohortSums.Empty, aggregate.Holdout.Sums);
                Assert.Equal(treatmentToDate, aggregate.Treatment.VisitorsToDate);
                Assert.Equal(holdoutToDate, aggregate.Holdout.VisitorsToDate);
                continue;
            }

            var treatment = Sums(outcomes.Where(o => o.Cohort == Cohort.Treatment));
            var holdout = Sums(outcomes.Where(o => o.Cohort == Cohort.Holdout));
            Assert.Equal(treatment, aggregate.Treatment.Sums);
            Assert.Equal(holdout, aggregate.Holdout.Sums);
            var expected = AovAggregator.Build(key, treatment, holdout, outcomes[0].HoldoutShare, outcomes.Min(o => o.ExposedAt), options, ComputedAt,
                treatmentVisitors: Visitors(outcomes.Where(o => o.Cohort == Cohort.Treatment)),
                holdoutVisitors: Visitors(outcomes.Where(o => o.Cohort == Cohort.Holdout)),
                treatmentVisitorsToDate: treatmentToDate, holdoutVisitorsToDate: holdoutToDate);
            Assert.Equal(expected, aggregate);
        }

        Assert.Equal(batch.Count, streamed.Count(a => a.Treatment.Sums.ExposedSessions + a.Holdout.Sums.ExposedSessions > 0));
    }

    /// <summary>A cohort's final outcomes of the window's experiment exposed before the window's end.</summary>
    private static IEnumerable<SessionOutcome> ToDate(IReadOnlyList<SessionOutcome> finals, AggregateKey window, Cohort cohort) =>
        finals.Where(o => o.ExperimentId == window.ExperimentId && o.Salt == window.Salt && o.Cohort == cohort && o.ExposedAt < window.WindowEnd);

    /// <summary>The visitor sums of a batch: each visitor's sessions and revenue totalled, then summed over visitors.</summary>
    private static VisitorSums Visitors(IEnumerable<SessionOutcome> outcomes) =>
        outcomes.GroupBy(o => o.SubjectId, StringComparer.Ordinal)
            .Select(g => VisitorSums.Of(g.Sum(o => o.Revenue), g.Count()))
            .Aggregate(default(VisitorSums), (a, b) => a + b);

    private static CohortSums Sums(IEnumerable<SessionOutcome> outcomes)
    {
        var list = outcomes.ToList();
        var accepted = list.Where(o => o.CrossSellLines > 0).ToList();
        return new CohortSums(
            ExposedSessions: list.Count,
            ConvertedSessions: list.Count(o => o.Orders > 0),
            Orders: list.Sum(o => (long)o.Orders),
            Revenue: list.Sum(o => o.Revenue),
            RevenueSquares: list.Sum(o => o.Revenue * o.Revenue),
            CrossSellSessions: accepted.Count,
            CrossSellOrders: accepted.Sum(o => (long)o.Orders),
            CrossSellLines: list.Sum(o => (long)o.CrossSellLines),
            CrossSellRevenue: list.Sum(o => o.CrossSellRevenue),
            AcceptedRevenue: accepted.Sum(o => o.Revenue),
            AcceptedRevenueSquares: accepted.Sum(o => o.Revenue * o.Revenue));
    }
}
