using System.Text.Json;
using CartCrossSell.Cli;
using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Outcomes;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The experiment end to end on the embedded broker and a real redis-server: cart views and orders of both cohorts in,
/// holdout carts rendered empty in Redis, and the published incremental-revenue aggregate equal to a batch
/// computation over the same events; then the analyst's report and chart from that topic.
/// </summary>
public sealed class ExperimentEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentOptions Experiment = new()
    {
        ExperimentId = "xsell-e2e", Salt = "pepper", HoldoutShare = 0.3, InactivityGap = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(15),
        StreamTimeLag = TimeSpan.FromMinutes(5),
    };

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
    }

    /// <summary>Sessions of both cohorts within ten minutes (well inside gap plus grace, so nothing is late whatever the arrival order).</summary>
    private static List<SessionEvent> Sessions(int count, int seed)
    {
        var rng = new Random(seed);
        var events = new List<SessionEvent>();
        for (var s = 0; s < count; s++)
        {
            var session = $"s{s}";
            var visitor = $"v{s}";
            var t = T0.AddSeconds(rng.Next(0, 300));
            events.Add(new SessionEvent { Kind = SessionEvent.CartViewed, SessionId = session, VisitorId = visitor, CartId = "cart-" + session, Timestamp = t });
            for (var o = rng.Next(0, 3); o > 0; o--)
            {
                t = t.AddSeconds(rng.Next(1, 120));
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
        return events;
    }

    private static (CohortSums Treatment, CohortSums Holdout) Batch(IEnumerable<SessionEvent> events) =>
        BatchMeasurement.Totals(events.Select(e => e.ToExperimentEvent()), Experiment.Config, Experiment.Windows, T0.AddDays(2));

    [Fact]
    public async Task Holdout_carts_render_nothing_and_the_published_incremental_revenue_equals_the_batch_computation()
    {
        var events = Sessions(240, seed: 11);
        using (var publisher = new EventPublisher(_kafka.Options))
        {
            StorefrontEvents.Publish(publisher, events);
            await publisher.FlushAsync();
        }

        // Before the sessions (their events span T0 to about T0 + 7 minutes), so wall-clock stream time closes none of
        // them until the test moves the clock; within the experiment's grace of the newest, which the outcome
        // splitters refuse beyond (an event further ahead would close open sessions early).
        var clock = new ManualClock(T0.AddMinutes(-5));
        using var loggers = TestLogging.Create(output.WriteLine, LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
            Experiment = Experiment,
            // The events are dated by the test's clock in March; the recommender judges event age by the system clock.
            Recommender = new() { MaxEventAge = DateTimeOffset.UtcNow - T0 + TimeSpan.FromDays(7) },
            Topologies = ["recommender", "outcomes"],
        }, loggers, clock);
        await service.StartAsync();

        // Holdout carts: the storefront gets a value that says "holdout" and renders nothing.
        var holdoutSession = events.First(e => Experiment.Config.Assign(e.VisitorId, e.SessionId) == Cohort.Holdout);
        var treatmentSession = events.First(e => Experiment.Config.Assign(e.VisitorId, e.SessionId) == Cohort.Treatment);
        CartRecommendation? holdout = null, treatment = null;
        for (var i = 0; i < 240 && (holdout is null || treatment is null); i++)
        {
            holdout ??= await service.Store!.ReadAsync(holdoutSession.CartId!);
            treatment ??= await service.Store!.ReadAsync(treatmentSession.CartId!);
            await Task.Delay(250);
        }
        Assert.Equal(Cohorts.Holdout, holdout!.Cohort);
        Assert.Empty(holdout.AddOns);
        Assert.Equal("xsell-e2e", holdout.ExperimentId);
        Assert.Equal(Cohorts.Treatment, treatment!.Cohort);

        // Every event is in; the shop goes quiet and the clock moves on, which closes every session.
        long SessionEventsProcessed() => service.StreamsMetrics.ProcessedCount(TopologyNames.SessionOutcomes, OutcomesTopology.SessionEventsTopic(new StreamsOptions()));
        for (var i = 0; i < 240 && SessionEventsProcessed() < events.Count; i++) await Task.Delay(250);
        Assert.Equal(events.Count, SessionEventsProcessed());
        clock.Now = T0.AddDays(1);

        var (batchTreatment, batchHoldout) = Batch(events);
        var totalKey = AovAggregateRecord.KeyOf(Experiment.ExperimentId, Experiment.Salt, AggregateWindow.Total, DateTimeOffset.UnixEpoch);
        AovAggregateRecord? total = null;
        for (var i = 0; i < 120; i++)
        {
            total = TopicProbe.ReadAll(_kafka.Options, Topics.AovAggregates, 1, TimeSpan.FromSeconds(2))
                .Where(r => r.Message.Key == totalKey)
                .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.AovAggregateRecord)).LastOrDefault();
            if (total is not null && AovAggregateMapping.SumsOf(total.Treatment).Equals(batchTreatment) && AovAggregateMapping.SumsOf(total.Holdout).Equals(batchHoldout)) break;
            await Task.Delay(500);
        }
        Assert.NotNull(total);
        Assert.Equal(batchTreatment, AovAggregateMapping.SumsOf(total!.Treatment));
        Assert.Equal(batchHoldout, AovAggregateMapping.SumsOf(total.Holdout));
        Assert.Equal(240, batchTreatment.ExposedSessions + batchHoldout.ExposedSessions);
        Assert.True(batchHoldout.ExposedSessions > 30, $"{batchHoldout.ExposedSessions} holdout sessions");

        // The analyst's view of the same topic: the table and the chart.
        var chart = Path.Combine(Path.GetTempPath(), $"aov-{Guid.NewGuid():N}.png");
        var text = new StringWriter();
        var code = await CliApplication.RunAsync(["report", "-b", _kafka.Options.BootstrapServers, "--experiment", "xsell-e2e", "--chart", chart], text, text);
        output.WriteLine(text.ToString());
        Assert.Equal(0, code);
        Assert.Contains("holdout", text.ToString(), StringComparison.OrdinalIgnoreCase);
        var png = await File.ReadAllBytesAsync(chart);
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        File.Delete(chart);
    }
}
