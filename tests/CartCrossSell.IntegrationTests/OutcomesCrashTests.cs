using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Outcomes;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The outcomes group on Streamiz, killed for real: <c>cartxsell run -t outcomes</c> in a child process, SIGKILLed at
/// random points while it works through cart views and orders (no close, no commit, no checkpoint), restarted on its
/// RocksDB state and once with the state wiped. The published running total must equal the batch computation exactly:
/// no session lost, none counted twice.
/// </summary>
public sealed class OutcomesCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-outcomes-crash-" + Guid.NewGuid().ToString("N"));
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddDays(-2);
    private static readonly ExperimentOptions Experiment = new()
    {
        ExperimentId = "xsell-crash", Salt = "pepper", HoldoutShare = 0.3,
        // Views (cart-events) and orders (order-events) reach a session's partition in whatever order their two splitter
        // tasks happen to run: a day of grace makes every order count, as a revision when it comes after the close.
        Grace = TimeSpan.FromDays(1),
        // Sessions close by event time only (see Sentinels): the wall clock must not close them while a life is down.
        StreamTimeLag = TimeSpan.FromDays(3650),
    };

    public void Dispose()
    {
        _kafka.Dispose();
        if (Directory.Exists(_stateDirectory)) Directory.Delete(_stateDirectory, recursive: true);
    }

    /// <summary>Both cohorts, with and without orders and widget lines, impressions and clicks in treatment, returning visitors, over five hours, in arrival (= event time) order.</summary>
    private static List<SessionEvent> Sessions(int count)
    {
        var rng = new Random(5);
        var events = new List<SessionEvent>();
        for (var s = 0; s < count; s++)
        {
            var session = $"s{s}";
            var visitor = $"v{s % 1_000}"; // three sessions per visitor at random times over the five hours
            var t = T0.AddSeconds(rng.Next(0, 5 * 3600));
            events.Add(new SessionEvent { Kind = SessionEvent.CartViewed, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, Timestamp = t });
            // The module shows treatment sessions one list (sometimes reported twice) and some click its first add-on.
            if (Experiment.Config.Assign(visitor, session) == Cohort.Treatment)
            {
                var shown = new[] { "sku-b", "sku-c", "sku-d" }.Take(rng.Next(1, 4)).ToArray();
                var impression = new SessionEvent
                {
                    Kind = SessionEvent.ImpressionShown, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, ValueVersion = s,
                    Skus = shown, ModelVersion = "rk-crash", Timestamp = t.AddSeconds(1),
                };
                events.Add(impression);
                if (rng.Next(4) == 0) events.Add(impression with { Timestamp = t.AddSeconds(2) });
                if (rng.Next(3) == 0)
                    events.Add(new SessionEvent
                        { Kind = SessionEvent.WidgetAdd, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, EventId = $"add-{s}", Sku = "sku-b", Timestamp = t.AddSeconds(3) });
            }
            for (var o = rng.Next(0, 3); o > 0; o--)
            {
                t = t.AddSeconds(rng.Next(1, 600));
                events.Add(new SessionEvent
                {
                    Kind = SessionEvent.OrderCompleted, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, OrderId = $"o{s}-{o}", Timestamp = t,
                    Lines =
                    [
                        new SessionEventLine("sku-a", rng.Next(1, 3), rng.Next(100, 9999) / 100m, EventSources.Storefront),
                        new SessionEventLine("sku-b", 1, rng.Next(100, 2999) / 100m, rng.Next(3) == 0 ? EventSources.CrossSellWidget : EventSources.Storefront),
                    ],
                });
            }
        }
        return events.OrderBy(e => e.Timestamp).ToList();
    }

    /// <summary>
    /// Views a day later, enough of them that every session-events partition gets one: they move each partition's
    /// stream time past every real session's inactivity gap (closing it), and never close themselves.
    /// </summary>
    private static IEnumerable<SessionEvent> Sentinels() => Enumerable.Range(0, 64).Select(i =>
        new SessionEvent { Kind = SessionEvent.CartViewed, SessionId = $"sentinel-{i}", VisitorId = $"sentinel-{i}", CartId = $"sentinel-{i}", Timestamp = T0.AddDays(1) });

    private static (CohortSums Treatment, CohortSums Holdout) Batch(IEnumerable<SessionEvent> events) =>
        BatchMeasurement.Totals(events.Select(e => e.ToExperimentEvent()), Experiment.Config, Experiment.Windows, T0.AddDays(1));

    private AovAggregateRecord? PublishedTotal()
    {
        var key = AovAggregateRecord.KeyOf(Experiment.ExperimentId, Experiment.Salt, AggregateWindow.Total, DateTimeOffset.UnixEpoch);
        return TopicProbe.ReadToEnd(_kafka.Options, Topics.AovAggregates, TimeSpan.FromSeconds(30))
            .Where(r => r.Message.Key == key)
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.AovAggregateRecord)).LastOrDefault();
    }

    [Fact]
    public async Task Killed_with_SIGKILL_at_random_points_the_published_total_equals_the_batch_computation()
    {
        var events = Sessions(3_000);
        // A third before the first life; the rest trickles in while the lives are killed, so kills land while input is
        // still arriving (published all at once, a life could finish everything before its kill), the sentinels last.
        using var publisher = new EventPublisher(_kafka.Options);
        var head = events.Count / 3;
        StorefrontEvents.Publish(publisher, events.Take(head));
        await publisher.FlushAsync();
        var (treatment, holdout) = Batch(events);
        Assert.Equal(3_000, treatment.ExposedSessions + holdout.ExposedSessions);
        Assert.True(treatment.Engagement.Impressions > 1_000 && treatment.Engagement.Clicks > 300, $"{treatment.Engagement}");
        Assert.Equal(0, holdout.Engagement.Impressions);

        // Forty slices 400 ms apart, about 16 s in all: the first two lives, each killed 1-3.5 s after it runs.
        async Task TrickleThenSentinelsAsync()
        {
            await Trickle.InSlicesAsync(head, events.Count, 40, TimeSpan.FromMilliseconds(400), async (from, to) =>
            {
                StorefrontEvents.Publish(publisher, events.Skip(from).Take(to - from));
                await publisher.FlushAsync();
            });
            StorefrontEvents.Publish(publisher, Sentinels());
            await publisher.FlushAsync();
        }
        var trickle = TrickleThenSentinelsAsync();
        await ChildProcess.KillThreeLivesAsync(StartOutcomes, "outcomes", _stateDirectory, 1_000, 3_500, output,
            () => Task.Run(() => $"{(PublishedTotal() is { } t ? t.Treatment.ExposedSessions + t.Holdout.ExposedSessions : 0)} sessions in the published total by then{(trickle.IsCompleted ? "" : ", input still arriving")}"));
        await trickle;

        await LastLifeEqualsTheBatchAsync(treatment, holdout);
    }

    /// <summary>
    /// Killed between two steps of a commit (<see cref="CommitStepKill"/>: the process sends itself SIGKILL there), once
    /// at each step in turn, every life on what the one before left in RocksDB and the changelogs. The random-time test
    /// above rarely lands inside a commit of a few milliseconds; each of these lives ends inside one. The outcomes
    /// group writes nothing outside Kafka, so it has no <see cref="CommitStep.EffectsDurable"/> step.
    /// </summary>
    [Fact]
    public async Task Killed_at_each_commit_step_in_turn_the_published_total_equals_the_batch_computation()
    {
        var events = Sessions(3_000);
        var (treatment, holdout) = Batch(events);
        using var publisher = new EventPublisher(_kafka.Options);
        // A flush step is reached by every store of every task at a commit, the offsets steps once per commit: each life
        // dies a few commits into its work, once sessions have closed and the aggregator holds state of its own.
        (CommitStep Step, int Occurrence)[] kills =
            [(CommitStep.StateFlushing, 100), (CommitStep.StateFlushed, 100), (CommitStep.OffsetsCommitting, 15), (CommitStep.Committed, 15)];
        var published = 0;
        for (var life = 0; life < kills.Length; life++)
        {
            var (step, occurrence) = kills[life];
            using var child = StartOutcomes(killAt: $"{step}:{occurrence}");
            await child.WaitForOutputAsync("outcomes: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60));
            // Input arrives in slices while the life runs, until it dies, so its commits have work behind them.
            var killed = child.WaitForOutputAsync($"killed at {step}", TimeSpan.FromSeconds(60));
            while (!killed.IsCompleted && published < events.Count)
            {
                StorefrontEvents.Publish(publisher, events.Skip(published).Take(100));
                await publisher.FlushAsync();
                published = Math.Min(events.Count, published + 100);
                await Task.WhenAny(killed, Task.Delay(150));
            }
            await killed;
            var total = PublishedTotal();
            output.WriteLine($"life {life + 1}: killed at {step} ({occurrence}) with {published} of {events.Count} events published, " +
                $"{(total is null ? 0 : total.Treatment.ExposedSessions + total.Holdout.ExposedSessions)} sessions in the published total by then");
        }
        StorefrontEvents.Publish(publisher, events.Skip(published));
        StorefrontEvents.Publish(publisher, Sentinels());
        await publisher.FlushAsync();

        await LastLifeEqualsTheBatchAsync(treatment, holdout);
    }

    /// <summary>A life that is not killed, on what the killed ones left: its published total must equal the batch computation.</summary>
    private async Task LastLifeEqualsTheBatchAsync(CohortSums treatment, CohortSums holdout)
    {
        using var last = StartOutcomes();
        var difference = "";
        await Polling.UntilAsync(() =>
        {
            var total = PublishedTotal();
            var same = total is not null && AovAggregateMapping.SumsOf(total.Treatment).Equals(treatment) && AovAggregateMapping.SumsOf(total.Holdout).Equals(holdout);
            difference = total is null ? "nothing published" : $"treatment {AovAggregateMapping.SumsOf(total.Treatment)} vs {treatment}; holdout {AovAggregateMapping.SumsOf(total.Holdout)} vs {holdout}";
            return Task.FromResult(same);
        }, TimeSpan.FromSeconds(120), () => $"the published total equals the batch computation ({difference})");
        // The last instance derived its windows from the restored outcomes: visitors came back in other hours, and the
        // last hour's visitor sums to date count each once, as the running total does.
        var latest = TopicProbe.ReadToEnd(_kafka.Options, Topics.AovAggregates, TimeSpan.FromSeconds(30))
            .GroupBy(r => r.Message.Key).Select(g => JsonSerializer.Deserialize(g.Last().Message.Value, ContractsJson.Default.AovAggregateRecord)!).ToList();
        var hours = latest.Where(r => r.Window == AggregateWindow.Hour).OrderBy(r => r.WindowStart).ToList();
        var published = latest.Single(r => r.Window == AggregateWindow.Total);
        Assert.True(hours.Sum(h => h.Treatment.Visitors!.Visitors) > published.Treatment.Visitors!.Visitors);
        Assert.Equal(published.Treatment.Visitors, hours[^1].Treatment.VisitorsToDate);
        Assert.Equal(published.Holdout.Visitors, hours[^1].Holdout.VisitorsToDate);
        last.Kill();
    }

    private ChildProcess StartOutcomes() => StartOutcomes(killAt: null);

    private ChildProcess StartOutcomes(string? killAt)
    {
        var environment = new Dictionary<string, string>
        {
            ["CARTXSELL__Streams__StateDirectory"] = _stateDirectory,
            ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
            ["CARTXSELL__Streams__SessionTimeout"] = "00:00:06",
            ["CARTXSELL__Experiment__ExperimentId"] = Experiment.ExperimentId,
            ["CARTXSELL__Experiment__Salt"] = Experiment.Salt,
            ["CARTXSELL__Experiment__HoldoutShare"] = "0.3",
            ["CARTXSELL__Experiment__Grace"] = "1.00:00:00",
            ["CARTXSELL__Experiment__StreamTimeLag"] = "3650.00:00:00",
        };
        if (killAt is not null) environment[CommitStepKill.Variable] = killAt;
        return ChildProcess.Run(output, "outcomes", _kafka.Options, null, environment);
    }
}
