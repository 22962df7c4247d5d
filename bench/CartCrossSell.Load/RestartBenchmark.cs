using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CartCrossSell.Contracts;
using CartCrossSell.Topologies;
using Confluent.Kafka;
using StackExchange.Redis;

namespace CartCrossSell.Load;

/// <summary>How the recommender was filled before the restarts.</summary>
/// <param name="Events">Cart events published (one or two item adds per cart).</param>
/// <param name="StateBytes">Size on disk of the state directory (RocksDB files and checkpoints) once every cart was in Redis.</param>
/// <param name="ChangelogWritten">Records written to the carts changelog (sum of the partitions' high watermarks).</param>
/// <param name="ChangelogRetained">Of those, what the mock cluster still holds (high minus low watermark).</param>
public sealed record RestartFill(int Carts, long Events, TimeSpan Took, ProcessMemory? Memory, long StateBytes, long ChangelogWritten, long ChangelogRetained);

/// <summary>What one restart measured, each time from the start of the new process.</summary>
/// <param name="Mode"><c>stop</c> (SIGTERM, same state directory), <c>kill</c> (SIGKILL, same state directory) or <c>wiped</c> (SIGTERM, state directory deleted).</param>
/// <param name="Running">Until <c>cartxsell_topology_state</c> said RUNNING for the recommender group: Streamiz's state, which
/// it reaches once the partitions are assigned, before the tasks have restored their stores.</param>
/// <param name="Ready">Until <c>/health/ready</c> answered 200: every task running, its stores restored.</param>
/// <param name="FirstCart">Until the value of a new item add on one of the first carts filled was in Redis.</param>
/// <param name="LastCart">The same for one of the last carts filled.</param>
/// <param name="RestoredCartRecords">Changelog records restored into the <c>carts</c> store (the service's log).</param>
/// <param name="RestoredRecords">Changelog records restored into every store of the group.</param>
/// <param name="FirstCartComplete">The first cart's new value counts its lines from before the restart (its cart value is theirs plus the new line).</param>
/// <param name="LastCartComplete">The same for the last cart.</param>
/// <param name="GroupJoin">From the log: the stream thread's start to its partitions' assignment (the group's rebalance).</param>
/// <param name="Restoration">From the log: Streamiz's time to restore the tasks' stores after the assignment.</param>
public sealed record RestartRun(string Mode, int Repeat, TimeSpan Running, TimeSpan Ready, TimeSpan FirstCart, TimeSpan LastCart,
    long RestoredCartRecords, long RestoredRecords, bool FirstCartComplete, bool LastCartComplete, ProcessMemory? Memory, long StateBytes,
    TimeSpan? GroupJoin, TimeSpan? Restoration);

public sealed record RestartOptions
{
    public required string CliPath { get; init; }
    public required string ResultsDirectory { get; init; }
    public int Carts { get; init; } = 100_000;
    public int Repeats { get; init; } = 2;
    public IReadOnlyList<string> Modes { get; init; } = ["stop", "kill", "wiped"];
    /// <summary>
    /// Cart events published and not yet processed, at most. The mock cluster keeps only the newest 5 MiB of each
    /// partition: a larger backlog would lose events before the recommender reads them.
    /// </summary>
    public int InFlight { get; init; } = 4_000;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// <c>Streams:SessionTimeout</c> of the recommender (the service's default). On the mock cluster a rebalance waits
    /// for the members it knows up to a second less than this, so it bounds the group join after a leave or a kill.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// <c>make bench-restart</c>: one recommender process (<c>cartxsell run -t recommender</c>) with a persistent
/// <c>Streams:StateDirectory</c> is filled with N carts (paced by its processed-records counter so that the mock
/// cluster drops nothing before it is read), then stopped (SIGTERM) or killed (SIGKILL) and started again on the same
/// state directory, or stopped and started with the directory deleted (the whole changelog, as far as the mock kept it,
/// is replayed). Each restart is measured from the new process's start to RUNNING, to <c>/health/ready</c>, and to the
/// values of a new item add on an early and a late cart, whose cart values say whether the restored carts were complete.
/// </summary>
public sealed partial class RestartBenchmark(RestartOptions options, ProgressLog log)
{
    private const string ApplicationId = "restart";
    private const string KeyPrefix = "xsell:v1:cart:";
    private const int Partitions = BenchTools.EmbeddedPartitions;

    private readonly ProductUpserted[] _products = Enumerable.Range(0, 20).Select(i => new ProductUpserted
    {
        Sku = $"rs-{i}", Title = $"Restart product {i}", CategoryPath = ["bench", $"leaf{i % 5}"], Price = 4m + i, MarginRate = 0.3,
    }).ToArray();

    private decimal[] _expectedValue = [];
    private long[] _lastOffset = [];

    public RestartFill? Fill { get; private set; }

    public async Task<IReadOnlyList<RestartRun>> RunAsync(CancellationToken ct)
    {
        using var environment = BenchEnvironment.Start(options.ResultsDirectory, $"restart-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}", log);
        var (logs, bootstrap, redis) = (environment.Logs, environment.BootstrapServers, $"127.0.0.1:{environment.RedisPort}");
        var stateDirectory = Path.Combine(logs, "state");
        Directory.CreateDirectory(stateDirectory);
        var serviceEnvironment = new Dictionary<string, string>
        {
            ["CARTXSELL__Streams__ApplicationId"] = ApplicationId,
            ["CARTXSELL__Streams__StateDirectory"] = stateDirectory,
            ["CARTXSELL__Redis__KeyPrefix"] = KeyPrefix,
            ["CARTXSELL__Streams__SessionTimeout"] = options.SessionTimeout.ToString("c", CultureInfo.InvariantCulture),
        };
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis},abortConnect=false,syncTimeout=5000,asyncTimeout=5000");
        var db = connection.GetDatabase();
        using var producer = BenchTools.Producer(bootstrap);
        foreach (var p in _products)
            await producer.ProduceAsync(Topics.Catalog, new Message<string, byte[]> { Key = p.Sku, Value = JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted) }, ct);

        var current = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs, serviceEnvironment, "fill");
        try
        {
            await current.WaitUntilRunningAsync(TopologyNames.Recommender, TimeSpan.FromSeconds(120), ct);
            var fillClock = Stopwatch.StartNew();
            var events = await FillAsync(current, producer, ct);
            await WaitForValuesAsync(db, ct);
            var (written, retained) = ChangelogWatermarks(bootstrap);
            Fill = new RestartFill(options.Carts, events, fillClock.Elapsed, current.Memory(), DirectoryBytes(stateDirectory), written, retained);
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"filled {options.Carts:N0} carts ({events:N0} events) in {Fill.Took.TotalSeconds:N0} s; recommender {Fill.Memory}; state directory {Fill.StateBytes / 1048576.0:N1} MiB; carts changelog {written:N0} records written, {retained:N0} retained by the mock"));

            var runs = new List<RestartRun>();
            var k = 0;
            foreach (var (repeat, mode) in Sequence())
            {
                k++;
                if (mode is "kill" or KillAfterFill) await current.KillAsync();
                else await current.StopAsync();
                await current.DisposeAsync();
                if (mode == "wiped")
                {
                    Directory.Delete(stateDirectory, recursive: true);
                    Directory.CreateDirectory(stateDirectory);
                }
                var stateBytes = DirectoryBytes(stateDirectory);
                var (run, next) = await RestartAsync(k, repeat, mode, producer, db, bootstrap, redis, logs, serviceEnvironment, stateBytes, ct);
                current = next;
                runs.Add(run);
                log.Line(string.Create(CultureInfo.InvariantCulture,
                    $"run {k}: {mode}: RUNNING after {run.Running.TotalSeconds:N2} s, ready after {run.Ready.TotalSeconds:N2} s, new events answered after {run.FirstCart.TotalSeconds:N2} s (first cart) and {run.LastCart.TotalSeconds:N2} s (last cart); group join {Seconds(run.GroupJoin)}, restoration {Seconds(run.Restoration)}, restored {run.RestoredCartRecords:N0} cart records ({run.RestoredRecords:N0} in all); carts complete: first {Yes(run.FirstCartComplete)}, last {Yes(run.LastCartComplete)}; {run.Memory}; load average {ProgressLog.LoadAverage()}"));
            }
            return runs;
        }
        finally
        {
            await current.DisposeAsync();
            try
            {
                Directory.Delete(stateDirectory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // deleted by a wiped run that failed to start again
            }
        }
    }

    /// <summary>
    /// Every repeat of the restarts on local state first, the wiped ones last: a wiped restart loses the carts whose
    /// changelog records the mock dropped, for good, and the runs after it would find those carts incomplete.
    /// </summary>
    private IEnumerable<(int Repeat, string Mode)> Sequence()
    {
        // First, once: the process that filled the carts, running since an empty start, killed. The other kills hit a
        // process that restarted from a clean checkpoint moments before; this one shows what a crash after long work
        // replays (Streamiz 1.8.2 wrote no checkpoint at a commit before a task's first close: the whole changelog).
        if (options.Modes.Contains("kill")) yield return (1, KillAfterFill);
        for (var repeat = 1; repeat <= options.Repeats; repeat++)
            foreach (var mode in options.Modes.Where(m => m != "wiped"))
                yield return (repeat, mode);
        for (var repeat = 1; repeat <= options.Repeats; repeat++)
            if (options.Modes.Contains("wiped"))
                yield return (repeat, "wiped");
    }

    private const string KillAfterFill = "kill after the fill";

    private static string Yes(bool b) => b ? "yes" : "NO";

    private static string Seconds(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("N2", CultureInfo.InvariantCulture) + " s" : "n/a";

    private static string CartId(int i) => $"rs-cart{i:D6}";

    /// <summary>
    /// Publishes every cart's item adds, at most <see cref="RestartOptions.InFlight"/> ahead of the recommender's
    /// processed-records counter. Returns the events published.
    /// </summary>
    private async Task<long> FillAsync(ServiceProcess service, IProducer<string, byte[]> producer, CancellationToken ct)
    {
        _expectedValue = new decimal[options.Carts];
        _lastOffset = new long[options.Carts];
        long sent = 0, processed = 0, failed = 0;
        var progress = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        log.Line($"filling {options.Carts:N0} carts, at most {options.InFlight:N0} events ahead of the recommender");
        for (var i = 0; i < options.Carts; i++)
        {
            var lines = i % 2 == 0 ? new[] { _products[i % _products.Length], _products[(i + 1) % _products.Length] } : [_products[i % _products.Length]];
            foreach (var product in lines)
            {
                var stalled = Stopwatch.StartNew();
                while (sent - processed >= options.InFlight)
                {
                    if (stalled.Elapsed > options.Timeout)
                        throw new TimeoutException($"the recommender processed no cart event for {options.Timeout.TotalSeconds:0} s ({processed:N0} of {sent:N0}); see {service.LogPath}");
                    await Task.Delay(50, ct);
                    var now = (long)(await service.ScrapeAsync(ct)).Sum("cartxsell_records_processed_total", ("topology", TopologyNames.CartRecommender), ("topic", Topics.CartEvents));
                    if (now > processed) stalled.Restart();
                    processed = Math.Max(processed, now);
                }
                var cart = i;
                producer.Produce(Topics.CartEvents, new Message<string, byte[]> { Key = CartId(cart), Value = Event(CartId(cart), product) }, report =>
                {
                    if (report.Error.IsError) Interlocked.Increment(ref failed);
                    else _lastOffset[cart] = Math.Max(_lastOffset[cart], report.Offset.Value);
                });
                _expectedValue[cart] += product.Price;
                sent++;
            }
            if (progress.Elapsed >= TimeSpan.FromSeconds(10))
            {
                progress.Restart();
                log.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  {i + 1:N0} carts, {sent:N0} events published, {processed:N0} processed ({processed / clock.Elapsed.TotalSeconds:N0} events/s)"));
            }
        }
        producer.Flush(ct);
        if (Interlocked.Read(ref failed) > 0) throw new InvalidOperationException($"{failed} cart events were not delivered");
        return sent;
    }

    /// <summary>Waits until every cart's value in Redis answers its last item add.</summary>
    private async Task WaitForValuesAsync(IDatabase db, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastChange = Stopwatch.StartNew();
        var behind = int.MaxValue;
        while (true)
        {
            var now = 0;
            for (var from = 0; from < options.Carts; from += 1_000)
            {
                var count = Math.Min(1_000, options.Carts - from);
                var values = await db.StringGetAsync(Enumerable.Range(from, count).Select(i => (RedisKey)(KeyPrefix + CartId(i))).ToArray());
                for (var j = 0; j < count; j++)
                    if (Read(values[j]) is not { } value || value.Version < _lastOffset[from + j]) now++;
            }
            if (now == 0) break;
            if (now < behind) lastChange.Restart();
            behind = now;
            if (lastChange.Elapsed > options.Timeout)
                throw new TimeoutException($"{behind:N0} carts still had no value answering their last event after {options.Timeout.TotalSeconds:0} s without progress");
            log.Line(string.Create(CultureInfo.InvariantCulture, $"  waiting for Redis: {behind:N0} carts without their last value ({clock.Elapsed.TotalSeconds:N0} s)"));
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        log.Line($"every cart's value is in Redis ({clock.Elapsed.TotalSeconds:N0} s after the last event was published)");
    }

    private async Task<(RestartRun Run, ServiceProcess Next)> RestartAsync(int k, int repeat, string mode, IProducer<string, byte[]> producer, IDatabase db,
        string bootstrap, string redis, string logs, Dictionary<string, string> environment, long stateBytes, CancellationToken ct)
    {
        // A different early and late cart each run, each given a product it does not hold yet.
        var (first, last) = (k - 1, options.Carts - k);
        log.Line(string.Create(CultureInfo.InvariantCulture,
            $"run {k}: {mode}, state directory {stateBytes / 1048576.0:N1} MiB; starting the recommender again"));
        var started = Stopwatch.GetTimestamp();
        var next = ServiceProcess.Start(options.CliPath, TopologyNames.Recommender, bootstrap, redis, logs, environment, $"run{k}-{mode.Replace(' ', '-')}");
        try
        {
            var probes = new[] { first, last };
            var offsets = new long[2];
            var added = new decimal[2];
            for (var p = 0; p < 2; p++)
            {
                var product = _products[(probes[p] + 5) % _products.Length];
                var result = await producer.ProduceAsync(Topics.CartEvents, new Message<string, byte[]> { Key = CartId(probes[p]), Value = Event(CartId(probes[p]), product) }, ct);
                (offsets[p], added[p]) = (result.Offset.Value, product.Price);
            }

            TimeSpan? running = null, ready = null;
            var answered = new TimeSpan?[2];
            var values = new CartRecommendation?[2];
            var progress = Stopwatch.StartNew();
            while (running is null || ready is null || answered.Any(a => a is null))
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (elapsed > options.Timeout) throw new TimeoutException($"run {k} ({mode}) not done within {options.Timeout.TotalSeconds:0} s; see {next.LogPath}");
                if (running is null && (await next.ScrapeAsync(ct)).Sum("cartxsell_topology_state", ("topology", TopologyNames.Recommender)) == 2)
                    running = Stopwatch.GetElapsedTime(started);
                if (ready is null && await next.IsReadyAsync(ct)) ready = Stopwatch.GetElapsedTime(started);
                for (var p = 0; p < 2; p++)
                    if (answered[p] is null && Read(await db.StringGetAsync(KeyPrefix + CartId(probes[p]))) is { } value && value.Version >= offsets[p])
                        (answered[p], values[p]) = (Stopwatch.GetElapsedTime(started), value);
                if (progress.Elapsed >= TimeSpan.FromSeconds(5))
                {
                    progress.Restart();
                    log.Line(string.Create(CultureInfo.InvariantCulture,
                        $"  {elapsed.TotalSeconds:N0} s: running {Yes(running is not null)}, ready {Yes(ready is not null)}, first cart {Yes(answered[0] is not null)}, last cart {Yes(answered[1] is not null)}"));
                }
                await Task.Delay(20, ct);
            }

            var complete = new bool[2];
            for (var p = 0; p < 2; p++)
            {
                complete[p] = values[p]!.CartValue == _expectedValue[probes[p]] + added[p];
                // What the cart holds from now on (a cart restored incomplete stays so: the next run uses other carts).
                _expectedValue[probes[p]] = values[p]!.CartValue;
            }
            var start = await ReadStartLogAsync(next.LogPath);
            return (new RestartRun(mode, repeat, running!.Value, ready!.Value, answered[0]!.Value, answered[1]!.Value, start.CartRecords, start.AllRecords,
                complete[0], complete[1], next.Memory(), stateBytes, start.GroupJoin, start.Restoration), next);
        }
        catch
        {
            await next.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the new process's log says about its start.</summary>
    /// <param name="CartRecords">Changelog records restored into the carts store ("restored N records of store S from P", per store partition).</param>
    /// <param name="AllRecords">Records restored into every store, the global ones included.</param>
    /// <param name="GroupJoin">From the stream thread's start to its partitions' assignment (the consumer group's rebalance).</param>
    /// <param name="Restoration">Streamiz's own "Restoration took" of the tasks' stores, after the assignment.</param>
    private sealed record StartLog(long CartRecords, long AllRecords, TimeSpan? GroupJoin, TimeSpan? Restoration);

    private static async Task<StartLog> ReadStartLogAsync(string logPath)
    {
        await Task.Delay(500); // the console logger writes asynchronously
        long carts = 0, all = 0;
        TimeSpan? threadStart = null, assigned = null, restoration = null;
        await using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (RestoreLine().Match(line) is { Success: true } restored)
            {
                var records = long.Parse(restored.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                all += records;
                if (restored.Groups[2].Value == TopologyNames.CartsStore) carts += records;
            }
            else if (threadStart is null && line.Contains("State transition from CREATED to STARTING", StringComparison.Ordinal)) threadStart = At(line);
            else if (assigned is null && line.Contains("New partitions assign requested", StringComparison.Ordinal)) assigned = At(line);
            else if (restoration is null && RestorationLine().Match(line) is { Success: true } took)
                restoration = TimeSpan.FromMilliseconds(int.Parse(took.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        TimeSpan? join = threadStart is { } from && assigned is { } to ? (to >= from ? to - from : to - from + TimeSpan.FromDays(1)) : null;
        return new StartLog(carts, all, join, restoration);
    }

    // "13:51:02.714 info: ..." (the service's console log: time of day, UTC)
    private static TimeSpan? At(string line) =>
        TimeSpan.TryParseExact(line.Split(' ', 2)[0], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture, out var at) ? at : null;

    [GeneratedRegex(@"restored ([\d,]+) records of store (\S+) from")]
    private static partial Regex RestoreLine();

    [GeneratedRegex(@"Restoration took (\d+)ms")]
    private static partial Regex RestorationLine();

    /// <summary>Records written to and retained in the carts changelog, from its partitions' watermarks.</summary>
    private static (long Written, long Retained) ChangelogWatermarks(string bootstrap)
    {
        using var reader = BenchTools.WatermarkReader(bootstrap);
        return BenchTools.Watermarks(reader, $"{ApplicationId}-{TopologyNames.Recommender}-{TopologyNames.CartsStore}-changelog", Partitions); // {Streams:ApplicationId}-{group}-{store}-changelog
    }

    private static long DirectoryBytes(string path) => BenchTools.DirectoryBytes(path);

    private static CartRecommendation? Read(RedisValue raw) =>
        raw.IsNull ? null : JsonSerializer.Deserialize((byte[])raw!, ContractsJson.Default.CartRecommendation);

    private static byte[] Event(string cart, ProductUpserted product) => JsonSerializer.SerializeToUtf8Bytes(new CartEvent
    {
        EventId = Guid.NewGuid().ToString("N"), Type = CartEventType.ItemAdded, CartId = cart, SessionId = "s-" + cart, Sku = product.Sku,
        VariantId = product.Sku, Quantity = 1, UnitPrice = product.Price, Timestamp = DateTimeOffset.UtcNow,
    }, ContractsJson.Default.CartEvent);
}
