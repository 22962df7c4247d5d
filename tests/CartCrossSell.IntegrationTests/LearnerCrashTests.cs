using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Recommending;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The learner on Streamiz, killed for real: <c>cartxsell run -t learner</c> in a child process, SIGKILLed at random
/// points while it learns (no close, no commit, no checkpoint), restarted once on its RocksDB state and once with the
/// state directory wiped (restored from the changelog); and scaled out to a second instance that is then SIGKILLed.
/// The published rows must equal the batch computation exactly.
/// </summary>
public sealed class LearnerCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-crash-" + Guid.NewGuid().ToString("N"));
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 5_000 }; // no pruning: exact comparison

    public void Dispose()
    {
        _kafka.Dispose();
        foreach (var directory in new[] { _stateDirectory, _stateDirectory + "-second" })
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Killed_with_SIGKILL_at_random_points_the_learner_ends_with_exactly_the_batch_counts()
    {
        var (batch, trickle) = await PublishOrdersAsync();
        await ChildProcess.KillThreeLivesAsync(() => StartLearner(), "learner", _stateDirectory, 200, 1_500, output,
            () => Task.Run(() => $"{LearnedRows.Published(_kafka.Options).Count} of {batch.RowKeysLearned.Count() + 1} rows published by then{(trickle.IsCompleted ? "" : ", orders still arriving")}"));
        await trickle;

        using var last = StartLearner();
        await UntilPublishedRowsEqualAsync(batch);
        last.Kill();
    }

    /// <summary>
    /// Scale-out and back on the learner: a second instance joins while orders flow, takes some of the partitions and is
    /// SIGKILLed; the first instance goes through both rebalances and carries on alone to exactly the batch counts.
    /// Before <see cref="CartCrossSell.Streams.Processing.RevocationCommits"/>, a commit refused while its partitions
    /// were revoked left its threads asleep for good in two runs of three (rows short of the batch, nothing logged).
    /// </summary>
    [Fact]
    public async Task A_second_learner_that_joins_and_is_killed_leaves_the_first_learning_to_exactly_the_batch_counts()
    {
        var (batch, trickle) = await PublishOrdersAsync();
        using var first = StartLearner();
        await first.WaitForOutputAsync("learner: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60));
        await Task.Delay(700);
        using (var second = StartLearner(_stateDirectory + "-second"))
        {
            await second.WaitForOutputAsync("learner: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60));
            await Task.Delay(1500);
            second.Kill();
            output.WriteLine($"second instance killed, {(trickle.IsCompleted ? "every order published" : "orders still arriving")}");
        }
        await trickle;

        await UntilPublishedRowsEqualAsync(batch);
        first.Kill();
    }

    /// <summary>
    /// The catalog, a third of 400 real orders now and the rest in eight slices a second apart (the returned task), and
    /// what the batch learner makes of all of them.
    /// </summary>
    private async Task<(BasketLearner Batch, Task Trickle)> PublishOrdersAsync()
    {
        // Kept small: the embedded cluster keeps only the newest ~5 MiB of a partition and does not compact, so a row
        // published early and never again would fall out of item-neighbors if hot rows were republished too often.
        var (orders, catalog, batch) = LearnedRows.RealOrders(400, Learning);
        var publisher = new EventPublisher(_kafka.Options);
        LearnedRows.PublishCatalog(publisher, catalog);
        void Publish(IEnumerable<HistoricalOrder> some) => LearnedRows.PublishOrders(publisher, some);
        // A third before the first instance, the rest in eight slices a second apart while instances are killed, so the
        // first kill lands while orders are still arriving (published all at once, the first life had published every row
        // before its kill). Few slices: each publishes the rows it changed again, and the embedded cluster keeps only ~5 MiB.
        Publish(orders.Take(orders.Length / 3));
        await publisher.FlushAsync();

        var trickle = Trickle.InSlicesAsync(orders.Length / 3, orders.Length, 8, TimeSpan.FromSeconds(1), async (from, to) =>
        {
            Publish(orders[from..to]);
            await publisher.FlushAsync();
        });
        return (batch, DisposeWhenDone(trickle, publisher));

        static async Task DisposeWhenDone(Task trickle, IDisposable publisher)
        {
            try
            {
                await trickle;
            }
            finally
            {
                publisher.Dispose();
            }
        }
    }

    /// <summary>Until the rows on item-neighbors equal the batch learner's (two minutes at most).</summary>
    private Task UntilPublishedRowsEqualAsync(BasketLearner batch)
    {
        var difference = "";
        return Polling.UntilAsync(() => Task.FromResult(LearnedRows.SameAsBatch(LearnedRows.Published(_kafka.Options), batch, out difference)),
            TimeSpan.FromSeconds(120), () => $"the learned rows equal the batch recomputation ({difference}; {LearnedRows.Published(_kafka.Options).Count} rows published)");
    }

    private ChildProcess StartLearner(string? stateDirectory = null) => ChildProcess.Run(output, "learner", _kafka.Options, null,
        new Dictionary<string, string>
        {
            ["CARTXSELL__Streams__StateDirectory"] = stateDirectory ?? _stateDirectory,
            ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
            ["CARTXSELL__Streams__SessionTimeout"] = "00:00:06",
            ["CARTXSELL__Learner__RowPublishInterval"] = "00:00:01",
            ["CARTXSELL__Learning__MaxNeighbors"] = Learning.MaxNeighbors.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
}

/// <summary>The learned rows as published to <c>item-neighbors</c>, and their comparison with the batch learner.</summary>
internal static class LearnedRows
{
    /// <summary>
    /// The first <paramref name="count"/> real orders, moved so the newest is now, the catalog derived from the whole
    /// file, and what the batch learner makes of those orders.
    /// </summary>
    public static (HistoricalOrder[] Orders, IReadOnlyList<ProductUpserted> Catalog, BasketLearner Batch) RealOrders(int count, LearningOptions learning)
    {
        var read = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var orders = read.Take(count).ToArray();
        var shift = DateTimeOffset.UtcNow - orders.Max(o => o.Timestamp);
        orders = orders.Select(o => o with { Timestamp = o.Timestamp + shift }).ToArray();
        var products = OnlineRetailCatalog.Derive(read);
        var catalog = new InMemoryCatalog(products.Select(p => p.ToCatalogItem()));
        var batch = new BasketLearner(learning);
        foreach (var o in orders) batch.AddOrder(o.Lines.Select(l => l.Sku).ToArray(), o.Timestamp, s => catalog.Find(s)?.LeafCategory);
        return (orders, products, batch);
    }

    /// <summary>The catalog to <c>catalog</c> (the learner reads leaf categories from it).</summary>
    public static void PublishCatalog(EventPublisher publisher, IEnumerable<ProductUpserted> catalog)
    {
        foreach (var p in catalog)
            publisher.Publish(Topics.Catalog, p.Sku, JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted));
    }

    public static void PublishOrders(EventPublisher publisher, IEnumerable<HistoricalOrder> orders)
    {
        foreach (var o in orders)
            publisher.Publish(Topics.OrderEvents, o.OrderId, JsonSerializer.SerializeToUtf8Bytes(o.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), o.Timestamp);
    }

    /// <summary>The rows of <paramref name="table"/> the batch learner has (and the basket count), in the form <see cref="Published"/> reads them.</summary>
    public static Dictionary<string, NeighborRow> InTable(NeighborTable table, BasketLearner batch) =>
        batch.RowKeysLearned.Append(RowKeys.Baskets)
            .Select(key => table.Find(key) is { } row
                ? new NeighborRow { RowKey = key, Weight = row.Weight, Neighbors = [.. row.Neighbors.Select(n => new NeighborWeight(n.Key, n.PairWeight))], UpdatedAt = default }
                : null)
            .OfType<NeighborRow>()
            .ToDictionary(r => r.RowKey);

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
