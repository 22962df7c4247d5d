using System.Diagnostics;
using System.Globalization;
using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Topologies;
using CartCrossSell.Topologies.Learning;
using Confluent.Kafka;

namespace CartCrossSell.Load;

/// <summary>Options of <c>make bench-rows</c>.</summary>
public sealed record RowStoreOptions
{
    public required string CliPath { get; init; }
    public required string ResultsDirectory { get; init; }
    public int Skus { get; init; } = 1_000_000;
    public int Neighbors { get; init; } = 100;

    /// <summary>Row bundles sent but not yet aggregated, at most: the mock cluster keeps only the newest 5 MiB of a partition.</summary>
    public int MaxInFlightBundles { get; init; } = 160;

    public bool Restart { get; init; } = true;
}

/// <summary>One look at the learner while its rows grew.</summary>
public sealed record RowStoreSample(TimeSpan At, long RowsSent, long BundlesAggregated, ProcessMemory? Memory, long StateDirectoryMegabytes);

public sealed record RowStoreResult(RowStoreOptions Options, IReadOnlyList<RowStoreSample> Fill, TimeSpan FillDuration, RowStoreSample AtRest,
    IReadOnlyList<RowStoreSample> Restart, TimeSpan? RestartRunning, TimeSpan? Republished, TimeSpan? ProbeAggregated);

/// <summary>
/// <c>make bench-rows</c>: does the learner hold <c>--skus</c> item rows of <c>--neighbors</c> neighbours each in
/// RocksDB with its resident memory bounded? One <c>cartxsell run -t learner</c> process with a state directory on
/// disk; the benchmark sends it the aggregator's own input, <see cref="BasketRowBundle"/>s on
/// <c>{app}-learner-basket-rows-repartition</c> (one contribution of every row's neighbours, cut and routed exactly
/// as the splitter cuts and routes them), paced so the mock cluster's 5 MiB per partition never drops one unread,
/// and samples the process's resident set. The splitter is bypassed: 1,000,000 rows of 100 neighbours from orders
/// would take hundreds of thousands of orders, and the splitter's cost is measured by <c>make bench-e2e</c>. The
/// aggregator does everything it does in service: each row decoded into the bounded cache, encoded once per commit
/// into RocksDB and its changelog, and published to <c>item-neighbors</c> once per <c>Learner:RowPublishInterval</c>.
/// Then (<c>--restart</c>) the learner is stopped and started again on the same state: it restores from the
/// checkpoint and publishes every row it holds once, the phase where a whole store passes through the process.
/// </summary>
public sealed class RowStoreBenchmark(RowStoreOptions options, ProgressLog log)
{
    private const int Partitions = BenchTools.EmbeddedPartitions;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    public async Task<RowStoreResult> RunAsync(CancellationToken ct)
    {
        using var environment = BenchEnvironment.Start(options.ResultsDirectory, $"rows-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}", log);
        var state = Path.Combine(Path.GetTempPath(), $"cartxsell-rows-{Environment.ProcessId}");
        Directory.CreateDirectory(state);
        try
        {
            var settings = new Dictionary<string, string> { ["CARTXSELL__Streams__StateDirectory"] = state };
            var redis = $"127.0.0.1:{environment.RedisPort}";
            var learner = ServiceProcess.Start(options.CliPath, TopologyNames.Learner, environment.BootstrapServers, redis, environment.Logs, settings);
            RowStoreSample atRest;
            List<RowStoreSample> fill;
            TimeSpan fillDuration;
            try
            {
                await learner.WaitUntilRunningAsync(TopologyNames.Learner, TimeSpan.FromMinutes(3), ct);
                log.Line($"learner running (pid {learner.Pid}), state in {state}; sending {options.Skus:N0} rows of {options.Neighbors} neighbours");
                (fill, fillDuration) = await FillAsync(learner, environment.BootstrapServers, state, ct);
                // The last rows leave at the next publication and the last commit; then the process is at rest.
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                atRest = await SampleAsync(learner, Stopwatch.StartNew(), fill[^1].RowsSent, state, ct);
                log.Line($"at rest: {Describe(atRest)}");
            }
            finally
            {
                await learner.DisposeAsync(); // SIGTERM: commits, writes the checkpoint, leaves the group
            }

            if (!options.Restart) return new RowStoreResult(options, fill, fillDuration, atRest, [], null, null, null);
            log.Line("restart on the same state directory: restore from the checkpoint, then every row published once");
            var again = ServiceProcess.Start(options.CliPath, TopologyNames.Learner, environment.BootstrapServers, redis, environment.Logs, settings, name: "learner-restart");
            await using (again)
            {
                var (samples, running, republished, probe) = await WatchRestartAsync(again, environment.BootstrapServers, fill[^1].RowsSent, state, ct);
                return new RowStoreResult(options, fill, fillDuration, atRest, samples, running, republished, probe);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException e)
            {
                log.Line($"could not delete {state}: {e.Message}");
            }
        }
    }

    private async Task<(List<RowStoreSample> Samples, TimeSpan Duration)> FillAsync(ServiceProcess learner, string bootstrap, string state, CancellationToken ct)
    {
        var topic = RepartitionTopic;
        using var producer = BenchTools.Producer(bootstrap);
        var samples = new List<RowStoreSample>();
        var clock = Stopwatch.StartNew();
        var lastSample = -SampleEvery;
        long sent = 0, bundles = 0, rowsSent = 0;
        var random = new Random(42);
        const int rowsPerOrder = 200; // one synthetic "order" per batch: its rows are cut into bundles per partition as the splitter cuts them
        for (var first = 0; first < options.Skus; first += rowsPerOrder)
        {
            var rows = new List<RowContribution>(rowsPerOrder);
            for (var sku = first; sku < Math.Min(options.Skus, first + rowsPerOrder); sku++)
                rows.Add(new RowContribution(RowKeys.Item(Sku(sku)), 1.0, Neighbours(sku, random)));
            foreach (var bundle in BasketRowBundle.ByPartition(rows, key => KeyPartitioning.PartitionOf(key, Partitions), new StreamsOptions().MaxRecordBytes,
                         sourcePartition: 0, sourceOffset: first, DateTimeOffset.UtcNow))
            {
                var partition = new TopicPartition(topic, new Partition(KeyPartitioning.PartitionOf(bundle.RoutingKey, Partitions)));
                producer.Produce(partition, new Message<string, byte[]> { Key = bundle.RoutingKey, Value = BasketRowBundleCodec.Instance.Encode(bundle) });
                sent++;
            }
            rowsSent += rows.Count;
            // Pace: wait while too many bundles are unread (each up to 64 KiB; the mock drops a partition's oldest beyond 5 MiB).
            while (true)
            {
                if (clock.Elapsed - lastSample >= SampleEvery)
                {
                    var sample = await SampleAsync(learner, clock, rowsSent, state, ct);
                    bundles = sample.BundlesAggregated;
                    samples.Add(sample);
                    if (samples.Count % 15 == 1) log.Line(Describe(sample));
                    lastSample = clock.Elapsed;
                }
                if (sent - bundles <= options.MaxInFlightBundles) break;
                producer.Flush(ct);
                await Task.Delay(50, ct);
                bundles = (await learner.ScrapeAsync(ct)).Processed(TopologyNames.BasketAggregator);
                if (sent - bundles <= options.MaxInFlightBundles) break;
            }
        }
        producer.Flush(ct);
        // Done when every bundle was aggregated.
        long aggregated;
        var waiting = Stopwatch.StartNew();
        while ((aggregated = (await learner.ScrapeAsync(ct)).Processed(TopologyNames.BasketAggregator)) < sent)
        {
            if (learner.HasExited) throw new InvalidOperationException($"the learner exited; see {learner.LogPath}");
            // A bundle the mock dropped before the aggregator read it would never come: say so rather than wait forever.
            if (waiting.Elapsed > TimeSpan.FromMinutes(5))
                throw new TimeoutException($"{sent - aggregated:N0} of {sent:N0} bundles were never aggregated (dropped by the mock's 5 MiB per partition?); see {learner.LogPath}");
            await Task.Delay(200, ct);
        }
        var duration = clock.Elapsed;
        samples.Add(await SampleAsync(learner, clock, rowsSent, state, ct));
        log.Line($"{rowsSent:N0} rows in {sent:N0} bundles aggregated in {duration.TotalSeconds:0.0} s; {Describe(samples[^1])}");
        return (samples, duration);
    }

    private async Task<(List<RowStoreSample>, TimeSpan?, TimeSpan?, TimeSpan?)> WatchRestartAsync(ServiceProcess learner, string bootstrap, long rows, string state, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var samples = new List<RowStoreSample>();
        TimeSpan? running = null, republished = null, probeAggregated = null;
        using var producer = BenchTools.Producer(bootstrap);
        using var watermarks = BenchTools.WatermarkReader(bootstrap);
        // Every record the restarted learner publishes moves a high watermark of item-neighbors (the mock keeps only the
        // newest 5 MiB of a partition, but its offsets count every record): the walk is over once they moved by every row.
        long Published() => BenchTools.Watermarks(watermarks, Topics.ItemNeighbors, Partitions).Written;
        var before = Published();
        var probeSentAt = TimeSpan.Zero;
        while (clock.Elapsed < TimeSpan.FromMinutes(30))
        {
            var metrics = await learner.ScrapeAsync(ct);
            var sample = await SampleAsync(learner, clock, rows, state, ct, metrics);
            samples.Add(sample);
            var published = Published() - before;
            if (samples.Count % 10 == 1) log.Line($"restart: {published:N0} rows published again; " + Describe(sample));
            if (running is null && metrics.Sum("cartxsell_topology_state", ("topology", TopologyNames.Learner)) == 2)
            {
                running = clock.Elapsed;
                log.Line($"restart: running after {running.Value.TotalSeconds:0.0} s");
            }
            if (running is not null && probeAggregated is null && published >= rows / 10)
            {
                // Does the thread still process while it republishes? A tenth into the walk, one bundle of a new row,
                // timed to 50 ms until the aggregator counts it.
                log.Line($"restart: {published:N0} rows published again; sending a bundle of a new row");
                var probe = new RowContribution(RowKeys.Item("probe"), 1.0, [new Neighbor(RowKeys.Item(Sku(0)), 1.0)]);
                producer.Produce(new TopicPartition(RepartitionTopic, new Partition(KeyPartitioning.PartitionOf(probe.RowKey, Partitions))), new Message<string, byte[]>
                {
                    Key = probe.RowKey, Value = BasketRowBundleCodec.Instance.Encode(new BasketRowBundle(1, 0, DateTimeOffset.UtcNow, [probe])),
                });
                producer.Flush(ct);
                probeSentAt = clock.Elapsed;
                while ((await learner.ScrapeAsync(ct)).Processed(TopologyNames.BasketAggregator) == 0 && clock.Elapsed - probeSentAt < TimeSpan.FromMinutes(5))
                    await Task.Delay(50, ct);
                probeAggregated = clock.Elapsed - probeSentAt;
                log.Line($"restart: the new row was aggregated {probeAggregated.Value.TotalSeconds:0.00} s after it was sent, while {Published() - before:N0} rows had been published again");
            }
            if (running is not null && published >= rows + 1) // every stored row, and the new row once
            {
                republished = clock.Elapsed;
                log.Line($"restart: {published:N0} rows published again after {republished.Value.TotalSeconds:0.0} s");
                break;
            }
            await Task.Delay(SampleEvery, ct);
        }
        return (samples, running, republished, probeAggregated);
    }

    private static readonly string RepartitionTopic = BasketLearningTopology.RepartitionTopic(new StreamsOptions());

    private static async Task<RowStoreSample> SampleAsync(ServiceProcess learner, Stopwatch clock, long rowsSent, string state, CancellationToken ct, MetricsSnapshot? metrics = null)
    {
        metrics ??= await learner.ScrapeAsync(ct);
        return new RowStoreSample(clock.Elapsed, rowsSent, metrics.Processed(TopologyNames.BasketAggregator), learner.Memory(), BenchTools.DirectoryBytes(state) / (1024 * 1024));
    }

    private static string Sku(int i) => "s" + i.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Half near in number (a catalog's neighbourhood), half anywhere (<see cref="RowNeighbours"/>), each with a weight.</summary>
    private Neighbor[] Neighbours(int sku, Random random) =>
        RowNeighbours.Pick(sku, options.Skus, options.Neighbors, random).Select(o => new Neighbor(RowKeys.Item(Sku(o)), 1.0 + random.Next(20))).ToArray();

    public static string Describe(RowStoreSample s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.RowsSent:N0} rows sent, {s.BundlesAggregated:N0} bundles aggregated; {s.Memory}; state on disk {s.StateDirectoryMegabytes:N0} MiB; load {ProgressLog.LoadAverage()}");

    /// <summary>The run as markdown: resident memory as the rows grew (every tenth of the rows), at rest, and through the restart.</summary>
    public static string Render(RowStoreResult r, string commandLine, string loadAtStart, string loadAtEnd, string machine)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Command: `{commandLine}`; {machine}; load average {loadAtStart} at the start, {loadAtEnd} at the end.");
        text.AppendLine();
        text.AppendLine(c, $"{r.Options.Skus:N0} item rows of {r.Options.Neighbors} neighbours sent to the aggregator in {r.FillDuration.TotalSeconds:0.0} s ({r.Options.Skus / r.FillDuration.TotalSeconds:N0} rows/s).");
        text.AppendLine();
        text.AppendLine("| Phase | Rows sent | Resident MiB | Peak resident MiB | State on disk MiB |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        var step = Math.Max(1, r.Options.Skus / 10);
        long next = step;
        foreach (var s in r.Fill)
        {
            if (s.RowsSent < next && s != r.Fill[^1]) continue;
            text.AppendLine(c, $"| filling, {s.At.TotalSeconds:0} s | {s.RowsSent:N0} | {s.Memory?.ResidentMegabytes:0} | {s.Memory?.PeakResidentMegabytes:0} | {s.StateDirectoryMegabytes:N0} |");
            while (next <= s.RowsSent) next += step;
        }
        text.AppendLine(c, $"| at rest | {r.AtRest.RowsSent:N0} | {r.AtRest.Memory?.ResidentMegabytes:0} | {r.AtRest.Memory?.PeakResidentMegabytes:0} | {r.AtRest.StateDirectoryMegabytes:N0} |");
        if (r.Restart.Count > 0)
        {
            var peak = r.Restart.Where(s => s.Memory is not null).MaxBy(s => s.Memory!.ResidentKilobytes);
            var last = r.Restart[^1];
            text.AppendLine(c, $"| restart, largest resident ({peak?.At.TotalSeconds:0} s) | {peak?.RowsSent:N0} | {peak?.Memory?.ResidentMegabytes:0} | {peak?.Memory?.PeakResidentMegabytes:0} | {peak?.StateDirectoryMegabytes:N0} |");
            text.AppendLine(c, $"| restart, end ({last.At.TotalSeconds:0} s) | {last.RowsSent:N0} | {last.Memory?.ResidentMegabytes:0} | {last.Memory?.PeakResidentMegabytes:0} | {last.StateDirectoryMegabytes:N0} |");
            text.AppendLine();
            text.AppendLine(c, $"Restart: running (stores restored from the checkpoint) after {Seconds(r.RestartRunning)}; every row published again (item-neighbors' high watermarks moved by every row) after {Seconds(r.Republished)}; a bundle of a new row sent a tenth into that walk was aggregated after {Seconds(r.ProbeAggregated)}.");
        }
        return text.ToString();
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "not within 30 min";
}
