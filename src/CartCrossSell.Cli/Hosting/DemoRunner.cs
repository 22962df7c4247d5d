using System.Diagnostics;
using System.Globalization;
using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Redis;
using CartCrossSell.Simulation;
using CartCrossSell.Streams;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Outcomes;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CartCrossSell.Cli.Hosting;

/// <summary>A demo cart: a real basket from the data, minus the item the shopper went on to buy.</summary>
public sealed record DemoCart(string CartId, HistoricalOrder Order, IReadOnlyList<HistoricalLine> InCart, HistoricalLine HeldOut);

/// <summary>What <c>make demo</c> runs; every default is what the README describes.</summary>
public sealed record DemoOptions
{
    public required string OrdersPath { get; init; }
    public int Sessions { get; init; } = 8_000;
    public int Concurrency { get; init; } = 100;
    public long Seed { get; init; } = 42;
    /// <summary>The oldest share of orders is history (backfilled, learned); the newest orders give the simulated baskets.</summary>
    public double HistoryShare { get; init; } = 0.6;
    public string ChartPath { get; init; } = Path.Combine(".run", "demo", "incremental-revenue.png");
    /// <summary>
    /// Where the demo experiment's aov-aggregates records are written, one JSON line each: the embedded broker ends with
    /// the demo, so this is what <c>cartxsell report --file</c> reads afterwards.
    /// </summary>
    public string AggregatesPath { get; init; } = Path.Combine(".run", "demo", "aov-aggregates.jsonl");
    public int Examples { get; init; } = 3;

    /// <summary>The simulator's options for this demo (the command checks them before anything starts).</summary>
    public SimulatorOptions Simulator => new()
    {
        Seed = Seed, Sessions = Sessions, Concurrency = Concurrency, Behaviour = Behaviour, Examples = Examples,
    };
    /// <summary>How long to wait for the last sessions to close and reach aov-aggregates.</summary>
    public TimeSpan MeasureTimeout { get; init; } = TimeSpan.FromSeconds(150);
    public ShopperBehaviour Behaviour { get; init; } = new();

    /// <summary>
    /// The demo's experiment. A simulated session lasts seconds, not minutes, so the session gap shrinks from 30
    /// minutes to 20 seconds (a shopper here never pauses that long) and the holdout grows to half, so that a few
    /// thousand sessions give an interval narrower than the effect. Production keeps the defaults (10 %, 30 min).
    /// </summary>
    public ExperimentOptions Experiment { get; init; } = new()
    {
        ExperimentId = "cart-xsell-demo", Salt = "demo", HoldoutShare = 0.5,
        InactivityGap = TimeSpan.FromSeconds(20), Grace = TimeSpan.FromSeconds(5), StreamTimeLag = TimeSpan.FromSeconds(2),
    };
}

/// <summary>What the demo measured, for callers that check it.</summary>
public sealed record DemoOutcome(SimulationResult Simulation, AovAggregateRecord? Total, string ChartPath);

/// <summary>
/// The whole story on the embedded default: history into Kafka and learned; simulated shoppers fill carts from real
/// baskets, see the cart page as the storefront renders it from Redis, add with one click, check out or leave; the
/// outcomes topologies measure treatment against holdout; the report, example carts and a chart come out at the end.
/// </summary>
public sealed class DemoRunner(TextWriter output, ILoggerFactory loggers)
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public async Task<DemoOutcome> RunAsync(DemoOptions demo, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var notes = new List<string>();
        void Note(string text) => notes.Add($"[{clock.Elapsed:mm\\:ss}] {text}");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });

        using var environment = EmbeddedEnvironment.Start();
        Note($"embedded Kafka (mock cluster) at {environment.Kafka.BootstrapServers}, redis-server at 127.0.0.1:{environment.Redis!.Port}");
        var read = OrderFiles.Read(demo.OrdersPath);
        var byTime = read.Orders.OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal).ToArray();
        var historyCount = (int)(byTime.Length * demo.HistoryShare);
        var history = byTime.Take(historyCount).Select(o => o.OrderId).ToHashSet(StringComparer.Ordinal);
        var baskets = ShopperSimulator.BasketsFrom(byTime.Skip(historyCount));

        var options = new CrossSellServiceOptions
        {
            Kafka = environment.Kafka.ToOptions(),
            Redis = new() { Configuration = environment.Redis.Configuration },
            // The derived catalog marks consumables (cards, wrap, napkins...) as multi-buy: not substitutes of each other.
            Recommender = new() { Ranking = new() { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories } },
            Experiment = demo.Experiment,
            Topologies = ["learner", "recommender", "outcomes"],
        };
        using var publisher = new EventPublisher(environment.Kafka.ToOptions());
        await using var service = new CrossSellService(options, loggers);
        await using var aggregates = new GlobalTable<AovAggregateRecord>(Topics.AovAggregates, OutcomesTopology.AggregateCodec, environment.Kafka.ToOptions(), loggers);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var aggregatesRunning = aggregates.RunAsync(stop.Token);

        SimulationResult simulation = null!;
        AovAggregateRecord? total = null;
        var totalKey = AovAggregateRecord.KeyOf(demo.Experiment.ExperimentId, demo.Experiment.Salt, AggregateWindow.Total, DateTimeOffset.UnixEpoch);
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var backfillTask = ctx.AddTask("backfill history", maxValue: historyCount);
                var learnTask = ctx.AddTask("learn from history", autoStart: false, maxValue: 1);
                var simulateTask = ctx.AddTask($"simulate {demo.Sessions} sessions", autoStart: false, maxValue: demo.Sessions);
                var measureTask = ctx.AddTask("measure (sessions closed)", autoStart: false, maxValue: demo.Sessions);

                var backfill = await BackfillJob.RunAsync(publisher, demo.OrdersPath, null, new SynchronousProgress<(int Done, int Total)>(p => backfillTask.Value = p.Done),
                    include: o => history.Contains(o.OrderId), rebaseTo: DateTimeOffset.UtcNow, cancellationToken: cancellationToken);
                backfillTask.Value = historyCount;
                Note($"backfilled the oldest {backfill.Orders} of {byTime.Length} orders ({backfill.OrderLines} lines) and {backfill.Products} products; "
                     + $"the newest {byTime.Length - historyCount} orders give {baskets.Count} baskets of 3-10 products for the shoppers");

                learnTask.StartTask();
                await service.StartAsync(cancellationToken);
                await WaitForLearningAsync(service, cancellationToken);
                learnTask.Value = 1;
                Note($"learned {service.Neighbors.RowCount} item and category rows; catalog of {service.Catalog.Count} products replicated; topologies: {string.Join(", ", service.RunningNames)}");

                simulateTask.StartTask();
                var store = service.Store!;
                var simulator = new ShopperSimulator(new StorefrontCarts(publisher), store, baskets, demo.Simulator,
                    needsFitDecision: sku => service.Catalog.Find(sku)?.NeedsFitDecision ?? false);
                simulation = await simulator.RunAsync(new SynchronousProgress<SimulationProgress>(p => simulateTask.Value = p.Finished), cancellationToken);
                Note($"simulated {simulation.Tally.Sessions} sessions: {simulation.EventsPublished} events in {simulation.Elapsed.TotalSeconds:0} s");

                measureTask.StartTask();
                var waited = Stopwatch.StartNew();
                var orders = simulation.Tally.ByCohort.Values.Sum(t => t.Orders);
                while (waited.Elapsed < demo.MeasureTimeout)
                {
                    total = aggregates.Find(totalKey);
                    var exposed = total is null ? 0 : total.Treatment.ExposedSessions + total.Holdout.ExposedSessions;
                    measureTask.Value = Math.Min(exposed, demo.Sessions);
                    if (total is not null && exposed >= simulation.Tally.Sessions && total.Treatment.Orders + total.Holdout.Orders >= orders) break;
                    await Task.Delay(500, cancellationToken);
                }
                measureTask.Value = measureTask.MaxValue;
                Note(total is null
                    ? $"no aov-aggregates record after {demo.MeasureTimeout.TotalSeconds:0} s"
                    : $"aov-aggregates counts {total.Treatment.ExposedSessions + total.Holdout.ExposedSessions} exposed sessions and {total.Treatment.Orders + total.Holdout.Orders} orders "
                      + $"(the simulator: {simulation.Tally.Sessions} sessions, {orders} orders) after waiting {waited.Elapsed.TotalSeconds:0} s for sessions to close");
            });

        await stop.CancelAsync();
        await aggregatesRunning.ContinueWith(_ => { }, TaskScheduler.Default);

        foreach (var note in notes) await output.WriteLineAsync(note);
        await output.WriteLineAsync();
        await output.WriteLineAsync("== the shoppers (the simulator's own ledger; it knows the truth) ==");
        await output.WriteAsync(SimulationSummary.Render(simulation));
        await output.WriteLineAsync();
        await output.WriteLineAsync("== what the analysts' topic says (aov-aggregates, total window) ==");
        if (total is null) await output.WriteLineAsync("(nothing published yet: sessions had not closed)");
        else
        {
            await output.WriteAsync(Commands.ReportCommand.Render([total]));
            await output.WriteLineAsync(Verdict(total, simulation.Tally));
        }
        await output.WriteLineAsync();
        await output.WriteLineAsync("== example carts (treatment) with their cross-sells and why ==");
        foreach (var session in simulation.Examples) await output.WriteAsync(Describe(session, service));
        if (total is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(demo.ChartPath))!);
            DemoChart.Draw(total, simulation.Tally, demo.ChartPath);
            await output.WriteLineAsync($"chart: {demo.ChartPath}");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(demo.AggregatesPath))!);
            var lines = aggregates.Entries.Select(e => e.Value)
                .Where(r => r.ExperimentId == demo.Experiment.ExperimentId && r.Salt == demo.Experiment.Salt)
                .OrderBy(r => r.Window).ThenBy(r => r.WindowStart)
                .Select(r => System.Text.Json.JsonSerializer.Serialize(r, ContractsJson.Default.AovAggregateRecord));
            await File.WriteAllLinesAsync(demo.AggregatesPath, lines);
            await output.WriteLineAsync($"aov-aggregates: {demo.AggregatesPath} (cartxsell report --file {demo.AggregatesPath} [--chart FILE] [--out json])");
        }
        await output.WriteLineAsync($"[{clock.Elapsed:mm\\:ss}] done");
        return new DemoOutcome(simulation, total, demo.ChartPath);
    }

    /// <summary>The measured increment beside the truth the behaviour model implies.</summary>
    public static string Verdict(AovAggregateRecord total, SimulationTally tally)
    {
        var cmp = total.Comparison;
        if (cmp.IncrementalRevenuePerSession is not { } measured || cmp.IncrementalRevenuePerSessionCi is not { } ci || tally.TrueIncrementalRevenuePerSession is not { } truth)
            return "measured versus true: not available yet";
        var covered = ci.Lower <= truth && truth <= ci.Upper;
        var power = "";
        if (cmp.StandardError is { } se && se > 0 && truth > 0)
        {
            // Two-sided 5 % test with 80 % power: the detectable effect is (1.96 + 0.84) standard errors, and the
            // standard error shrinks with the square root of the sessions.
            var sessions = total.Treatment.ExposedSessions + total.Holdout.ExposedSessions;
            var detectable = 2.8 * se;
            var needed = sessions * Math.Pow(detectable / truth, 2);
            power = string.Create(C, $"\nwith {sessions} sessions at this split the smallest effect detectable with 80% power is {detectable:0.00} per session; the true effect needs about {Math.Ceiling(needed / 1000) * 1000:0} sessions");
        }
        return string.Create(C, $"measured incremental revenue per session {measured:0.00} [95% CI {ci.Lower:0.00}, {ci.Upper:0.00}] versus the true {truth:0.00} the behaviour model implies: ")
               + (covered ? "the interval covers the truth" : "the interval MISSES the truth (expected in 5% of runs)") + power;
    }

    private static string Describe(ShopperSession session, CrossSellService service)
    {
        var sb = new StringBuilder();
        var plan = session.Plan;
        sb.AppendLine(C, $"cart {plan.CartId} (basket of order {plan.Basket.SourceOrderId}; key {service.Store!.KeyOf(plan.CartId)}), {(session.Ordered ? "ordered" : "abandoned")}, £{session.CartValue:0.00}");
        foreach (var line in session.Cart)
            sb.AppendLine(C, $"  {(line.Source == EventSources.CrossSellWidget ? "one-click" : "in cart  ")} {Title(service, line.Sku),-40} £{line.UnitPrice,6:0.00}  variant {line.VariantId}");
        // The cart page where the shopper first clicked, as the storefront rendered it (at most three add-ons).
        var clicked = session.Considered.First(o => o.Accepted && o.Wanted);
        var page = session.Pages.First(p => p.View == clicked.View);
        sb.AppendLine(C, $"  the cart page at view {page.View} of {session.Views} (cart £{page.CartValue:0.00}) showed:");
        foreach (var addOn in page.AddOns)
        {
            var share = page.CartValue > 0 ? addOn.Price / page.CartValue : 0;
            var decision = session.Considered.FirstOrDefault(o => o.Sku == addOn.Sku && o.View == page.View) is { } o
                ? string.Create(C, $"{(o.Accepted ? "ADDED" : "passed")} (chance {o.Probability:0.00}{(o.Wanted ? ", wanted" : "")})")
                : "seen before";
            sb.AppendLine(string.Create(C, $"    {Title(service, addOn.Sku),-40} £{addOn.Price,6:0.00} ({share.ToString("P0", C)} of the cart), variant {addOn.AddToCart.VariantId} ({addOn.VariantReason}): {decision}"));
            sb.AppendLine(C, $"      why: {addOn.Reason}");
        }
        foreach (var line in plan.HeldBack.Where(h => session.Cart.All(l => l.Sku != h.Sku)))
            sb.AppendLine(C, $"  would have taken if offered: {Title(service, line.Sku)}");
        sb.AppendLine();
        return sb.ToString();
    }

    private static string Title(CrossSellService service, string sku)
    {
        var title = service.Catalog.Find(sku)?.Title ?? sku;
        return title.Length > 40 ? title[..39] + "…" : title;
    }

    /// <summary>Deterministic choice of demo baskets: every 40th invoice with 4 to 10 distinct products.</summary>
    public static IReadOnlyList<DemoCart> PickCarts(IReadOnlyList<HistoricalOrder> orders, int count) =>
        orders.OrderBy(o => o.OrderId, StringComparer.Ordinal)
            .Where(o => o.Lines.Select(l => l.Sku).Distinct().Count() is >= 4 and <= 10)
            .Where((_, i) => i % 40 == 7)
            .Take(count)
            .Select(o => new DemoCart($"demo-{o.OrderId}", o, o.Lines.Take(o.Lines.Count - 1).ToArray(), o.Lines[^1]))
            .ToArray();

    /// <summary>
    /// Waits until the learner has learned every order on the topic: its group has committed all of
    /// <c>order-events</c> and its repartition topic, then has handed every row it changed to <c>item-neighbors</c>
    /// (<see cref="StreamsMetrics.UnpublishedRows"/> is zero: the rows go out once per <c>Learner:RowPublishInterval</c>,
    /// after the input's commit, so a quiet table alone was taken for the end of learning between two publications on
    /// a loaded machine), and the neighbour table has read what that produced (nothing new for half a second). Without
    /// a learner in this process: until rows arrived and nothing new came for two seconds.
    /// </summary>
    public static async Task WaitForLearningAsync(CrossSellService service, CancellationToken ct)
    {
        var learner = service.Applications.FirstOrDefault(a => a.Name == TopologyNames.Learner);
        var quiet = learner is null ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(500);
        var stableSince = Stopwatch.StartNew();
        long lastApplied = -1;
        var deadline = Stopwatch.StartNew();
        var lastProbe = new Stopwatch();
        IReadOnlyList<(Confluent.Kafka.TopicPartition Partition, long Committed, long End)>? lagging = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(180))
        {
            var applied = service.Neighbors.Table.Applied;
            if (applied != lastApplied)
            {
                lastApplied = applied;
                stableSince.Restart();
            }
            if (applied > 0 && stableSince.Elapsed > quiet && service.Applications.All(a => a.IsRunning)
                && (learner is null || (await CaughtUpAsync(learner) && service.StreamsMetrics.UnpublishedRows(TopologyNames.BasketAggregator) == 0)))
            {
                // The table may still be reading what the last commit flushed: one more quiet period after the lag reached zero.
                var settled = service.Neighbors.Table.Applied;
                await Task.Delay(quiet, ct);
                if (service.Neighbors.Table.Applied == settled) return;
                continue;
            }
            await Task.Delay(200, ct);
        }
        var lag = lagging is null ? "" : ": " + string.Join(", ", lagging.Select(l => $"{l.Partition} committed {l.Committed} of {l.End}"));
        throw new TimeoutException($"the learner did not learn every order within 180 s{lag}");

        // The lag, asked of the broker at most once a second and off the caller's thread (it builds clients and blocks);
        // a broker that does not answer in time is "not yet", not a failure of the wait.
        async Task<bool> CaughtUpAsync(Streams.Processing.StreamApplication group)
        {
            if (lastProbe.IsRunning && lastProbe.Elapsed < TimeSpan.FromSeconds(1)) return false;
            lastProbe.Restart();
            try
            {
                lagging = await Task.Run(() => group.Lagging(TimeSpan.FromSeconds(10)), ct);
                return lagging.Count == 0;
            }
            catch (Confluent.Kafka.KafkaException)
            {
                return false;
            }
        }
    }

    /// <summary>Waits until Redis holds the cart's value for an event at or after <paramref name="eventTime"/>.</summary>
    public static async Task<CartRecommendation> WaitForRecommendationAsync(CrossSellService service, string cartId, DateTimeOffset eventTime, CancellationToken ct)
    {
        var (value, answers) = await service.Store!.ReadAnsweringAsync(cartId, eventTime, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), ct);
        return answers ? value! : throw new TimeoutException($"no recommendation for cart {cartId} in Redis within 30 s");
    }
}

/// <summary>The demo's chart: the measured increment with its 95 % interval beside the true effect.</summary>
public static class DemoChart
{
    public static void Draw(AovAggregateRecord total, SimulationTally tally, string path)
    {
        var plot = new ScottPlot.Plot();
        var cmp = total.Comparison;
        var measured = cmp.IncrementalRevenuePerSession ?? 0;
        var half = cmp.IncrementalRevenuePerSessionCi is { } ci ? (ci.Upper - ci.Lower) / 2 : 0;
        var truth = tally.TrueIncrementalRevenuePerSession ?? 0;
        plot.Add.Bars(new ScottPlot.Bar[]
        {
            new() { Position = 1, Value = measured, Error = half, FillColor = ScottPlot.Colors.SteelBlue },
            new() { Position = 2, Value = truth, FillColor = ScottPlot.Colors.DarkOrange },
        });
        plot.Add.HorizontalLine(0, color: ScottPlot.Colors.Gray);
        plot.Axes.Bottom.SetTicks([1, 2], ["measured: treatment - holdout (95% CI)", "true: implied by the behaviour model"]);
        var sessions = total.Treatment.ExposedSessions + total.Holdout.ExposedSessions;
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Incremental revenue per session, {sessions} sessions ({total.Holdout.ExposedSessions} holdout)"));
        plot.YLabel("revenue per session (GBP)");
        plot.SavePng(path, 900, 520);
    }
}
