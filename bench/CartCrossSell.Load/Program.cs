using System.CommandLine;
using System.Globalization;
using CartCrossSell.Load;

// make bench-e2e: the end-to-end load benchmark. Targets are reported, never asserted.
var cliPath = Path.Combine(AppContext.BaseDirectory, "cartxsell.dll");
var orders = new Option<FileInfo>("--orders") { Description = "Online Retail orders file (default: data/online-retail-dec2010.csv of this repository)" };
var results = new Option<DirectoryInfo>("--results") { Description = "Directory of the results files (default: bench/results)" };
var backlog = new Option<int>("--backlog") { Description = "Cart events pre-produced for the sustained-rate drain", DefaultValueFactory = _ => 60_000 };
var activeCarts = new Option<int>("--active-carts") { Description = "Carts in progress at once (their events interleave)", DefaultValueFactory = _ => 5_000 };
var warmup = new Option<int>("--warmup") { Description = "Cart events processed before the drain is timed (queued ahead of the backlog; 0 times from the first event)", DefaultValueFactory = _ => 30_000 };
var commitMs = new Option<int?>("--commit-ms") { Description = "The recommender's commit interval for the drain and the phases (default: the layer's, Streams:CommitInterval)" };
var cli = new Option<FileInfo?>("--cli") { Description = "The cartxsell.dll the service processes run (default: the build next to this program), e.g. a ReadyToRun publish or an older build" };
var model = new Option<FileInfo?>("--model") { Description = "A train-ranker model put in service before the recommender starts (the drain and the phases rank with it); default: the heuristic" };
// 600,000 lines take 10-14 s: a backlog of 120,000 went through in 4-6 s, of which the start (the driver publishing it)
// and the tail (the last publication interval, the scrapes) were a second or two, so it measured them as much as the learner.
var learnerLines = new Option<int>("--learner-lines") { Description = "Order lines in the learner backlog (the file repeated with fresh order ids)", DefaultValueFactory = _ => 600_000 };
var learnerWarmup = new Option<int>("--learner-warmup-lines") { Description = "Order lines the learner learns before its backlog is timed (0: time a cold process)", DefaultValueFactory = _ => 120_000 };
var only = new Option<string?>("--only") { Description = "learner: stop after the learner's backlog; drain: stop after the recommender's drain" };
only.AcceptOnlyFromAmong("learner", "drain");
var duration = new Option<int>("--duration") { Description = "Seconds of each fixed-rate freshness phase", DefaultValueFactory = _ => 20 };
var shares = new Option<double[]>("--shares") { Description = "Shares of the measured sustained rate for the phases", DefaultValueFactory = _ => [0.1, 0.5, 0.9], AllowMultipleArgumentsPerToken = true };
var rates = new Option<int[]>("--rates") { Description = "Fixed phase rates in events/s instead of --shares", AllowMultipleArgumentsPerToken = true };
var readers = new Option<int>("--readers") { Description = "Storefront readers during the phase nearest 50%", DefaultValueFactory = _ => 50 };
var readRate = new Option<int>("--read-rate") { Description = "Aggregate GETs per second of the readers; 0 = each reader back to back", DefaultValueFactory = _ => 5_000 };
var linger = new Option<int>("--linger-ms") { Description = "Linger of the storefront producer", DefaultValueFactory = _ => 5 };
var shortCommit = new Option<int>("--short-commit-ms") { Description = "Commit interval of an extra phase at the lowest rate; 0 skips it", DefaultValueFactory = _ => 20 };
var noOutcomes = new Option<bool>("--no-outcomes") { Description = "Leave the outcomes group out of the fixed-rate phases (recommender, embedded broker and redis-server only); by default it runs beside them, as in a one-machine deployment" };
var benchRequests = new Option<int>("--redis-benchmark-requests") { Description = "Requests of the redis-benchmark row", DefaultValueFactory = _ => 200_000 };
var root = new RootCommand("End-to-end load benchmark: embedded Kafka (mock cluster), a local redis-server, each topology group as its own process")
{
    orders, results, backlog, warmup, commitMs, model, cli, activeCarts, learnerLines, learnerWarmup, only, duration, shares, rates, readers, readRate, linger, shortCommit, noOutcomes, benchRequests,
};
root.SetAction(async (parse, ct) =>
{
    var repository = RepositoryRoot.Find();
    var options = new LoadOptions
    {
        OrdersPath = (parse.GetValue(orders) ?? new FileInfo(Path.Combine(repository, "data", "online-retail-dec2010.csv"))).FullName,
        ResultsDirectory = ResultsDirectory(parse),
        CliPath = parse.GetValue(cli)?.FullName ?? cliPath,
        BacklogEvents = parse.GetValue(backlog),
        WarmupEvents = parse.GetValue(warmup),
        CommitInterval = parse.GetValue(commitMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : StreamsDefaults.CommitInterval,
        ModelPath = parse.GetValue(model)?.FullName,
        ActiveCarts = parse.GetValue(activeCarts),
        LearnerLines = parse.GetValue(learnerLines),
        LearnerWarmupLines = parse.GetValue(learnerWarmup),
        StopAfter = parse.GetValue(only),
        PhaseDuration = TimeSpan.FromSeconds(parse.GetValue(duration)),
        LoadShares = parse.GetValue(shares) ?? [0.1, 0.5, 0.9],
        FixedRates = parse.GetValue(rates) ?? [],
        Readers = parse.GetValue(readers),
        ReadRate = parse.GetValue(readRate),
        ProducerLingerMs = parse.GetValue(linger),
        ShortCommitMs = parse.GetValue(shortCommit),
        RedisBenchmarkRequests = parse.GetValue(benchRequests),
        WithOutcomes = !parse.GetValue(noOutcomes),
    };
    if (options.CommitInterval <= TimeSpan.Zero)
    {
        await Console.Error.WriteLineAsync("--commit-ms must be positive");
        return 2;
    }
    if (LoadOptionsError(options) is { } optionsError)
    {
        // Found now, not minutes in (a phase of no events, a division by zero, a producer librdkafka refuses).
        await Console.Error.WriteLineAsync(optionsError);
        return 2;
    }
    if (options.BacklogEvents < 1_000 || options.WarmupEvents < 0 || (long)options.BacklogEvents + options.WarmupEvents > 100_000)
    {
        // librdkafka's mock cluster keeps only the newest 5 MiB of each partition: a larger backlog loses its start.
        await Console.Error.WriteLineAsync("--backlog must be at least 1,000, --warmup at least 0, and both together at most 100,000 (the mock cluster keeps 5 MiB per partition)");
        return 2;
    }
    if (!File.Exists(options.CliPath))
    {
        await Console.Error.WriteLineAsync($"{options.CliPath}: file not found (--cli)");
        return 2;
    }
    if (options.ModelPath is not null && ModelError(options.ModelPath) is { } modelError)
    {
        await Console.Error.WriteLineAsync($"{options.ModelPath}: {modelError}");
        return 2;
    }
    if (!File.Exists(options.OrdersPath))
    {
        await Console.Error.WriteLineAsync($"{options.OrdersPath}: file not found (pass --orders)");
        return 2;
    }
    Directory.CreateDirectory(options.ResultsDirectory);
    var log = new ProgressLog(Console.Out);
    var run = new RunResults
    {
        StartedAt = DateTimeOffset.UtcNow,
        Machine = MachineDescription.Describe(),
        LoadAverageAtStart = ProgressLog.LoadAverage(),
        CommandLine = ServiceEnvironment() + "make bench-e2e" + (args.Length > 0 ? $" ARGS=\"{string.Join(' ', args)}\"" : ""),
        Options = options,
    };
    log.Line($"end-to-end load benchmark on {run.Machine}; load average {run.LoadAverageAtStart}");
    await new LoadBenchmark(options, log).RunAsync(run, ct);
    run.LoadAverageAtEnd = ProgressLog.LoadAverage();
    run.Elapsed = log.Elapsed;
    await WriteReportAsync(options.ResultsDirectory, "e2e", run.StartedAt, MarkdownReport.Render(run), log, ct);
    return 0;
});
var repeats = new Option<int>("--repeats") { Description = "Runs of each protocol and departure", DefaultValueFactory = _ => 3 };
var protocols = new Option<string[]>("--protocols") { Description = "Streams:Rebalancing values to compare", DefaultValueFactory = _ => ["Eager", "Cooperative"], AllowMultipleArgumentsPerToken = true };
var departures = new Option<string[]>("--departures") { Description = "stop (SIGTERM) and/or kill (SIGKILL)", DefaultValueFactory = _ => ["stop", "kill"], AllowMultipleArgumentsPerToken = true };
var failoverRate = new Option<int>("--rate") { Description = "Cart events per second over all partitions", DefaultValueFactory = _ => 200 };
var sessionTimeout = new Option<int>("--session-timeout-ms") { Description = "Streams:SessionTimeout of both instances", DefaultValueFactory = _ => 10_000 };
var failover = new Command("failover", "Fail-over pause: two recommender processes in one group, one stopped or killed under steady traffic; the survivor's own partitions' longest gap in Redis writes")
{
    results, repeats, protocols, departures, failoverRate, sessionTimeout,
};
failover.SetAction(async (parse, ct) =>
{
    var options = new FailoverOptions
    {
        CliPath = cliPath,
        ResultsDirectory = ResultsDirectory(parse),
        Repeats = parse.GetValue(repeats),
        Protocols = parse.GetValue(protocols) ?? ["Eager", "Cooperative"],
        Departures = parse.GetValue(departures) ?? ["stop", "kill"],
        EventsPerSecond = parse.GetValue(failoverRate),
        SessionTimeout = TimeSpan.FromMilliseconds(parse.GetValue(sessionTimeout)),
    };
    if (options.Repeats < 1 || options.EventsPerSecond < 10 || options.SessionTimeout < TimeSpan.FromSeconds(1) || options.Departures.Any(d => d is not ("stop" or "kill"))
        || options.Protocols.Any(p => !Enum.TryParse<CartCrossSell.Streams.Rebalancing>(p, out _)))
    {
        await Console.Error.WriteLineAsync("--repeats >= 1, --rate >= 10, --session-timeout-ms >= 1000, --departures stop|kill, --protocols Eager|Cooperative");
        return 2;
    }
    return await RunReportedAsync("failover", "fail-over benchmark", options.ResultsDirectory, async (log, run) =>
    {
        var runs = await new FailoverBenchmark(options, log).RunAsync(ct);
        return FailoverReport.Render(runs, run.CommandLine, run.LoadAtStart, ProgressLog.LoadAverage());
    }, ct);
});
root.Subcommands.Add(failover);
var restartCarts = new Option<int>("--carts") { Description = "Carts filled into the recommender before the restarts", DefaultValueFactory = _ => 100_000 };
var restartRepeats = new Option<int>("--repeats") { Description = "Runs of each restart (stop, kill, wiped)", DefaultValueFactory = _ => 2 };
var restartSessionTimeout = new Option<int>("--session-timeout-ms") { Description = "Streams:SessionTimeout of the recommender", DefaultValueFactory = _ => 10_000 };
var restart = new Command("restart", "Restart of a recommender holding many carts: SIGTERM or SIGKILL and back on its local RocksDB state, or on none (the changelog replayed); time to RUNNING, ready and the next values")
{
    results, restartCarts, restartRepeats, restartSessionTimeout,
};
restart.SetAction(async (parse, ct) =>
{
    var options = new RestartOptions
    {
        CliPath = cliPath,
        ResultsDirectory = ResultsDirectory(parse),
        Carts = parse.GetValue(restartCarts),
        Repeats = parse.GetValue(restartRepeats),
        SessionTimeout = TimeSpan.FromMilliseconds(parse.GetValue(restartSessionTimeout)),
    };
    if (options.Repeats < 1 || options.Carts < 100 || options.Carts > 1_000_000 || options.Carts < 4 * options.Repeats || options.SessionTimeout < TimeSpan.FromSeconds(1))
    {
        await Console.Error.WriteLineAsync("--repeats >= 1, --carts between 100 and 1,000,000, --session-timeout-ms >= 1000");
        return 2;
    }
    return await RunReportedAsync("restart", "restart benchmark", options.ResultsDirectory, async (log, run) =>
    {
        var benchmark = new RestartBenchmark(options, log);
        var runs = await benchmark.RunAsync(ct);
        return RestartReport.Render(benchmark.Fill!, runs, options.SessionTimeout, run.Machine, run.CommandLine, run.LoadAtStart, ProgressLog.LoadAverage());
    }, ct);
});
root.Subcommands.Add(restart);
var skus = new Option<int>("--skus") { Description = "Item rows the learner ends up holding", DefaultValueFactory = _ => 1_000_000 };
var neighbors = new Option<int>("--neighbors") { Description = "Neighbours of each row", DefaultValueFactory = _ => 100 };
var noRestart = new Option<bool>("--no-restart") { Description = "Skip the restart on the same state (restore from the checkpoint, republish every row)" };
var rowsCommand = new Command("rows", "Learner rows held in RocksDB: the aggregator fed --skus rows of --neighbors neighbours, its resident memory sampled as they grow, then a restart on the same state")
{
    results, skus, neighbors, noRestart,
};
rowsCommand.SetAction(async (parse, ct) =>
{
    var options = new RowStoreOptions
    {
        CliPath = cliPath,
        ResultsDirectory = ResultsDirectory(parse),
        Skus = parse.GetValue(skus),
        Neighbors = parse.GetValue(neighbors),
        Restart = !parse.GetValue(noRestart),
    };
    if (options.Skus < 1_000 || options.Neighbors is < 1 or > 1_000 || options.Neighbors >= options.Skus)
    {
        await Console.Error.WriteLineAsync("--skus >= 1000, --neighbors between 1 and 1000 and below --skus");
        return 2;
    }
    return await RunReportedAsync("rows", "learner rows benchmark", options.ResultsDirectory, async (log, run) =>
    {
        var result = await new RowStoreBenchmark(options, log).RunAsync(ct);
        return RowStoreBenchmark.Render(result, run.CommandLine, run.LoadAtStart, ProgressLog.LoadAverage(), run.Machine);
    }, ct);
});
root.Subcommands.Add(rowsCommand);
// On Ctrl+C or SIGTERM the token is cancelled and the process waits this long before it ends anyway. The runs' cleanup
// needs it: every service process is stopped with SIGTERM (up to 10 s each, then killed; three in turn in bench-e2e),
// then the broker and redis-server, then the state folders are deleted. System.CommandLine's default of 2 s cut that
// short and left service processes, redis-server and state behind (src/CartCrossSell.Cli waits 50 s for the same reason).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });

// A subcommand's run: its progress log, the machine and load average first, its report left in the results directory.
async Task<int> RunReportedAsync(string kind, string title, string directory, Func<ProgressLog, ReportedRun, Task<string>> run, CancellationToken ct)
{
    Directory.CreateDirectory(directory);
    var log = new ProgressLog(Console.Out);
    var started = new ReportedRun(DateTimeOffset.UtcNow, MachineDescription.Describe(), ProgressLog.LoadAverage(),
        $"make bench-{kind}" + (args.Length > 1 ? $" ARGS=\"{string.Join(' ', args.Skip(1))}\"" : ""));
    log.Line($"{title} on {started.Machine}; load average {started.LoadAtStart}");
    var report = await run(log, started);
    await WriteReportAsync(directory, kind, started.At, report, log, ct);
    return 0;
}

string ResultsDirectory(ParseResult parse) =>
    (parse.GetValue(results) ?? new DirectoryInfo(Path.Combine(RepositoryRoot.Find(), "bench", "results"))).FullName;

// Each run leaves its report in the results directory (named by kind and start time) and on the console.
static async Task WriteReportAsync(string directory, string kind, DateTimeOffset startedAt, string report, ProgressLog log, CancellationToken ct)
{
    var file = Path.Combine(directory, $"{kind}-{startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.md");
    await File.WriteAllTextAsync(file, report, ct);
    Console.WriteLine();
    Console.WriteLine(report);
    log.Line($"written to {file}");
}

// The service's configuration given through the environment (CARTXSELL__Section__Key=value, inherited by every service
// process the benchmark starts) and the runtime's JIT and GC settings (DOTNET_TieredPGO=0, DOTNET_gcServer=1, ...), as
// the shell prefix of the command line the report names; empty without any.
static string ServiceEnvironment() => string.Concat(Environment.GetEnvironmentVariables().Keys.Cast<string>()
    .Where(k => k.StartsWith("CARTXSELL__", StringComparison.Ordinal)
        || new[] { "DOTNET_Tiered", "DOTNET_TC_", "DOTNET_GC", "DOTNET_gc", "DOTNET_ReadyToRun", "DOTNET_OSR" }.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
    .Order(StringComparer.Ordinal)
    .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)} "));

// The first of bench-e2e's numeric options out of range, as the message naming its flag; null when all are usable.
static string? LoadOptionsError(LoadOptions o) =>
    o.ActiveCarts < 1 ? "--active-carts must be at least 1"
    : o.LearnerLines < 1 ? "--learner-lines must be at least 1"
    : o.LearnerWarmupLines < 0 ? "--learner-warmup-lines must not be negative (0: time a cold process)"
    : o.PhaseDuration <= TimeSpan.Zero ? "--duration must be positive"
    : o.LoadShares.Count == 0 || o.LoadShares.Any(s => !(double.IsFinite(s) && s > 0)) ? "--shares must be positive numbers"
    : o.FixedRates.Any(r => r <= 0) ? "--rates must be positive"
    : o.Readers < 0 ? "--readers must not be negative"
    : o.ReadRate < 0 ? "--read-rate must not be negative (0: each reader back to back)"
    : o.ProducerLingerMs < 0 ? "--linger-ms must not be negative"
    : o.ShortCommitMs < 0 ? "--short-commit-ms must not be negative (0 skips its phase)"
    : o.RedisBenchmarkRequests < 1 ? "--redis-benchmark-requests must be at least 1"
    : null;

// Why a --model file cannot be put in service, as `cartxsell models publish` would refuse it; null when it can.
static string? ModelError(string path)
{
    if (!File.Exists(path)) return "file not found";
    try
    {
        var model = CartCrossSell.Engine.Ranking.RankingModel.FromBytes(File.ReadAllBytes(path));
        if (!model.MatchesFeatures) return "the model reads other features than this version of the engine writes";
        return model.ToBytes().Length > CartCrossSell.Topologies.Recommending.ModelTable.MaxModelBytes ? "the model is larger than a Kafka record of the ranking-models topic holds" : null;
    }
    catch (InvalidDataException e)
    {
        return e.Message;
    }
}

/// <summary>When and where a subcommand started, and how it was called.</summary>
internal sealed record ReportedRun(DateTimeOffset At, string Machine, string LoadAtStart, string CommandLine);

