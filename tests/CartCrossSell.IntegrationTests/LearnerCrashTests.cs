using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Catalog;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The learner on Streamiz, killed for real: <c>cartxsell run -t learner</c> in a child process, SIGKILLed at random
/// points while it learns (no close, no commit, no checkpoint), restarted once on its RocksDB state and once with the
/// state directory wiped (restored from the changelog). The published rows must equal the batch computation exactly.
/// </summary>
public sealed class LearnerCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-crash-" + Guid.NewGuid().ToString("N"));
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 5_000 }; // no pruning: exact comparison

    public void Dispose()
    {
        _kafka.Dispose();
        if (Directory.Exists(_stateDirectory)) Directory.Delete(_stateDirectory, recursive: true);
    }

    [Fact]
    public async Task Killed_with_SIGKILL_at_random_points_the_learner_ends_with_exactly_the_batch_counts()
    {
        var read = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var catalog = OnlineRetailCatalog.Derive(read);
        // Kept small: the embedded cluster keeps only the newest ~5 MiB of a partition and does not compact, so a row
        // published early and never again would fall out of item-neighbors if hot rows were republished too often.
        var orders = read.Take(400).ToArray();
        var shift = DateTimeOffset.UtcNow - orders.Max(o => o.Timestamp);
        orders = orders.Select(o => o with { Timestamp = o.Timestamp + shift }).ToArray();
        using var publisher = new EventPublisher(_kafka.Options);
        foreach (var p in catalog) publisher.Publish(Topics.Catalog, p.Sku, JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted));
        void Publish(IEnumerable<HistoricalOrder> some)
        {
            foreach (var o in some)
                publisher.Publish(Topics.OrderEvents, o.OrderId, JsonSerializer.SerializeToUtf8Bytes(o.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), o.Timestamp);
        }
        // A third before the first life, the rest in eight slices a second apart while the lives are killed, so the first
        // kill lands while orders are still arriving (published all at once, the first life had published every row before
        // its kill). Few slices: each publishes the rows it changed again, and the embedded cluster keeps only ~5 MiB.
        Publish(orders.Take(orders.Length / 3));
        await publisher.FlushAsync();
        var engineCatalog = new InMemoryCatalog(catalog.Select(p => p.ToCatalogItem()));
        var batch = new BasketLearner(Learning);
        foreach (var o in orders) batch.AddOrder(o.Lines.Select(l => l.Sku).ToArray(), o.Timestamp, s => engineCatalog.Find(s)?.LeafCategory);

        var trickle = Trickle.InSlicesAsync(orders.Length / 3, orders.Length, 8, TimeSpan.FromSeconds(1), async (from, to) =>
        {
            Publish(orders[from..to]);
            await publisher.FlushAsync();
        });
        await ChildProcess.KillThreeLivesAsync(StartLearner, "learner", _stateDirectory, 200, 1_500, output,
            () => Task.Run(() => $"{LearnedRows.Published(_kafka.Options).Count} of {batch.RowKeysLearned.Count() + 1} rows published by then{(trickle.IsCompleted ? "" : ", orders still arriving")}"));
        await trickle;

        using var last = StartLearner();
        var difference = "";
        await Polling.UntilAsync(() => Task.FromResult(LearnedRows.SameAsBatch(LearnedRows.Published(_kafka.Options), batch, out difference)),
            TimeSpan.FromSeconds(120), () => $"the learned rows equal the batch recomputation ({difference}; {LearnedRows.Published(_kafka.Options).Count} rows published)");
        last.Kill();
    }

    private ChildProcess StartLearner() => ChildProcess.Run(output, "learner", _kafka.Options, null,
        new Dictionary<string, string>
        {
            ["CARTXSELL__Streams__StateDirectory"] = _stateDirectory,
            ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
            ["CARTXSELL__Streams__SessionTimeout"] = "00:00:06",
            ["CARTXSELL__Learner__RowPublishInterval"] = "00:00:01",
            ["CARTXSELL__Learning__MaxNeighbors"] = Learning.MaxNeighbors.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
}

/// <summary>The learned rows as published to <c>item-neighbors</c>, and their comparison with the batch learner.</summary>
internal static class LearnedRows
{
    public static Dictionary<string, NeighborRow> Published(KafkaOptions kafka) =>
        TopicProbe.ReadToEnd(kafka, Topics.ItemNeighbors, TimeSpan.FromSeconds(30))
            .GroupBy(r => r.Message.Key)
            .ToDictionary(g => g.Key, g => JsonSerializer.Deserialize(g.Last().Message.Value, ContractsJson.Default.NeighborRow)!);

    public static bool SameAsBatch(Dictionary<string, NeighborRow> published, BasketLearner batch, out string difference)
    {
        foreach (var key in batch.RowKeysLearned)
        {
            var expected = batch.Find(key)!;
            if (!published.TryGetValue(key, out var actual)) { difference = $"{key} not published"; return false; }
            if (!Close(expected.Weight, actual.Weight)) { difference = $"{key}: weight {actual.Weight} != {expected.Weight}"; return false; }
            var pairs = actual.Neighbors.ToDictionary(n => n.Key, n => n.PairWeight);
            if (pairs.Count != expected.Neighbors.Count) { difference = $"{key}: {pairs.Count} neighbours != {expected.Neighbors.Count}"; return false; }
            foreach (var n in expected.Neighbors)
                if (!pairs.TryGetValue(n.Key, out var w) || !Close(w, n.PairWeight)) { difference = $"{key}->{n.Key}: {w} != {n.PairWeight}"; return false; }
        }
        if (!published.TryGetValue(RowKeys.Baskets, out var baskets) || !Close(baskets.Weight, batch.Baskets)) { difference = "basket count differs"; return false; }
        difference = "";
        return true;
    }

    // Decayed weights are sums of doubles; streaming adds them in another order than the batch, so the last bits may differ.
    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));
}
