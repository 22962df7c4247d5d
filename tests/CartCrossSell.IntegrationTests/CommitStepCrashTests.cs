using System.Globalization;
using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.OrderHistory;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Catalog;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// The learner and the recommender, each in its own <c>cartxsell run</c> process on the embedded broker and a real
/// redis-server, killed between two steps of a commit (<see cref="CommitStepKill"/>: the process sends itself SIGKILL
/// there), then started again on their RocksDB state: the learned rows must equal the batch computation and every
/// cart's value in Redis must answer its latest event, each event applied once. The random-time SIGKILL tests
/// (<c>LearnerCrashTests</c>, <c>GuaranteeTests</c>) rarely land inside a commit of a few milliseconds; these always do.
/// </summary>
public sealed class CommitStepCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();
    private readonly string _learnerState = Path.Combine(Path.GetTempPath(), "cartxsell-step-learner-" + Guid.NewGuid().ToString("N"));
    private readonly string _recommenderState = Path.Combine(Path.GetTempPath(), "cartxsell-step-recommender-" + Guid.NewGuid().ToString("N"));
    private static readonly LearningOptions Learning = new() { MaxNeighbors = 5_000 }; // no pruning: exact comparison

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
        foreach (var directory in new[] { _learnerState, _recommenderState })
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData(CommitStep.StateFlushing)]
    [InlineData(CommitStep.StateFlushed)]
    [InlineData(CommitStep.EffectsDurable)]
    [InlineData(CommitStep.OffsetsCommitting)]
    [InlineData(CommitStep.Committed)]
    public async Task Killed_at_a_commit_step_the_learner_ends_with_the_batch_counts_and_every_cart_with_its_latest_event(CommitStep step)
    {
        var read = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        var catalog = OnlineRetailCatalog.Derive(read);
        var orders = read.Take(300).ToArray();
        var shift = DateTimeOffset.UtcNow - orders.Max(o => o.Timestamp);
        orders = orders.Select(o => o with { Timestamp = o.Timestamp + shift }).ToArray();
        var products = catalog.Where(p => p.Price is > 1m and < 20m).Take(120).ToArray();
        var expected = new Dictionary<string, (decimal Value, DateTimeOffset Last)>();
        var cartEvents = new List<(string CartId, ProductUpserted Product, int Quantity)>();
        for (var c = 0; c < 600; c++)
        {
            decimal value = 0;
            for (var i = 0; i < 4; i++)
            {
                var p = products[(c * 4 + i) % products.Length];
                cartEvents.Add(($"cart-{c}", p, 1 + i % 2));
                value += p.Price * (1 + i % 2);
            }
            expected[$"cart-{c}"] = (value, default);
        }
        using var publisher = new EventPublisher(_kafka.Options);
        foreach (var p in catalog) publisher.Publish(Topics.Catalog, p.Sku, JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted));
        await publisher.FlushAsync();
        // The input arrives while the first lives run, in thirty slices 50 ms apart, so every commit has work behind
        // it and the kill lands mid-stream rather than once everything is processed.
        var storefront = new StorefrontCarts(publisher);
        async Task TrickleAsync()
        {
            for (var slice = 0; slice < 30; slice++)
            {
                foreach (var o in orders.Where((_, i) => i % 30 == slice))
                    publisher.Publish(Topics.OrderEvents, o.OrderId, JsonSerializer.SerializeToUtf8Bytes(o.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), o.Timestamp);
                foreach (var (cartId, product, quantity) in cartEvents.Skip(slice * cartEvents.Count / 30).Take(cartEvents.Count / 30))
                {
                    var e = storefront.AddItem(cartId, cartId.Replace("cart", "s"), product.Sku, product.Variants[0].VariantId, quantity, product.Price);
                    expected[cartId] = (expected[cartId].Value, e.Timestamp);
                }
                await publisher.FlushAsync();
                await Task.Delay(50);
            }
        }
        var engineCatalog = new InMemoryCatalog(catalog.Select(p => p.ToCatalogItem()));
        var batch = new BasketLearner(Learning);
        foreach (var o in orders) batch.AddOrder(o.Lines.Select(l => l.Sku).ToArray(), o.Timestamp, s => engineCatalog.Find(s)?.LeafCategory);

        // First lives: each process kills itself the third time one of its tasks reaches the step. The learner has no
        // effects outside Kafka, so for that step it is killed from outside once the recommender is dead.
        var killAt = $"{step}:3";
        using (var learner = Start("learner", _learnerState, step == CommitStep.EffectsDurable ? null : killAt))
        using (var recommender = Start("recommender", _recommenderState, killAt))
        {
            await Task.WhenAll(learner.WaitForOutputAsync("learner: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60)),
                recommender.WaitForOutputAsync("recommender: REBALANCING -> RUNNING", TimeSpan.FromSeconds(60)));
            var trickle = TrickleAsync();
            await recommender.WaitForOutputAsync($"killed at {step}", TimeSpan.FromSeconds(90));
            if (step == CommitStep.EffectsDurable) learner.Kill();
            else await learner.WaitForOutputAsync($"killed at {step}", TimeSpan.FromSeconds(90));
            output.WriteLine($"both killed at {step}: {LearnedRows.Published(_kafka.Options).Count} of {batch.RowKeysLearned.Count() + 1} rows published by then");
            await trickle;
        }

        // Second lives, on what the first left in RocksDB and the changelogs.
        using var secondLearner = Start("learner", _learnerState, null);
        using var secondRecommender = Start("recommender", _recommenderState, null);
        var difference = "";
        await Polling.UntilAsync(() => Task.FromResult(LearnedRows.SameAsBatch(LearnedRows.Published(_kafka.Options), batch, out difference)),
            TimeSpan.FromSeconds(120), () => $"the learned rows equal the batch recomputation ({difference})");
        var store = new RecommendationStore(_redis.Connection, new RedisStoreOptions { Configuration = _redis.Server.Configuration });
        await CartValues.UntilEveryCartAnswersAsync(store, expected, TimeSpan.FromSeconds(120), "every cart's value answers its latest event, each event applied once");
    }

    private ChildProcess Start(string group, string stateDirectory, string? killAt)
    {
        var environment = new Dictionary<string, string>
        {
            ["CARTXSELL__Streams__StateDirectory"] = stateDirectory,
            ["CARTXSELL__Streams__CommitInterval"] = "00:00:00.050",
            ["CARTXSELL__Streams__SessionTimeout"] = "00:00:06",
            ["CARTXSELL__Learner__RowPublishInterval"] = "00:00:01",
            ["CARTXSELL__Learner__CommitInterval"] = "00:00:00.100",
            ["CARTXSELL__Learning__MaxNeighbors"] = Learning.MaxNeighbors.ToString(CultureInfo.InvariantCulture),
        };
        if (killAt is not null) environment[CommitStepKill.Variable] = killAt;
        return ChildProcess.Run(output, group, _kafka.Options, _redis.Server.Configuration, environment);
    }
}
