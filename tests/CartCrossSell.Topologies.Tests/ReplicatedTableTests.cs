using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Topologies.Tests;

/// <summary>The catalog as a Streamiz global store of the recommender: what the topic says is what the cart rules see.</summary>
public sealed class ReplicatedTableTests : IDisposable
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private readonly CatalogTable _catalog = new(NullLoggerFactory.Instance);
    private readonly CapturingSink _sink = new();
    private readonly GroupTestDriver _driver;
    private readonly Prometheus.CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    public ReplicatedTableTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), _catalog, Store.Learned(), _sink,
            metrics: new StreamsMetrics(_registry)), Streams);

    /// <summary>The value of a metric line as Prometheus scrapes it (the tables' counts are read at the scrape).</summary>
    private async Task<double?> Scraped(string line)
    {
        var found = (await MetricsText.OfAsync(_registry)).Split('\n').FirstOrDefault(l => l.StartsWith(line + " ", StringComparison.Ordinal));
        return found is null ? null : double.Parse(found[(line.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _driver.Dispose();

    private static ProductUpserted Socks(decimal price) => new() { Sku = "socks", Title = "Running socks", CategoryPath = ["sport", "socks"], Price = price };

    [Fact]
    public void The_recommender_reads_the_catalog_topic_as_a_global_store_and_follows_updates_and_tombstones()
    {
        Assert.Contains(Topics.Catalog, CartRecommenderTopology.Build(Streams, new RecommenderOptions(), new CatalogTable(NullLoggerFactory.Instance), Store.Learned(), _sink).Inputs);

        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "socks", 1, 12m), ContractCodecs.CartEvent);
        Assert.Equal(DeadLetterKinds.UnknownSku, Assert.Single(_driver.DeadLetters).Kind); // not in the catalog yet

        _driver.Pipe(Topics.Catalog, "socks", Socks(12m), ContractCodecs.ProductUpserted);
        _driver.Pipe(Topics.CartEvents, "c2", Store.Added("c2", "socks", 1, 12m), ContractCodecs.CartEvent);
        Assert.Single(_driver.DeadLetters);
        Assert.Equal(12m, _sink.Latest("c2").CartValue);
        Assert.Equal("sport > socks", string.Join(" > ", _catalog.Table.Find("socks")!.CategoryPath));

        _driver.Pipe(Topics.Catalog, "socks", Socks(14m), ContractCodecs.ProductUpserted);
        Assert.Equal(14m, _catalog.Find("socks")!.Price);
        Assert.Equal(["socks"], _catalog.InCategory(_catalog.Find("socks")!.LeafCategory).Select(i => i.Sku));
        var leaf = _catalog.Find("socks")!.LeafCategory;

        _driver.Pipe(Topics.Catalog, "socks", Socks(14m) with { CategoryPath = ["sport", "hosiery"] }, ContractCodecs.ProductUpserted); // moved
        var movedTo = _catalog.Find("socks")!.LeafCategory;
        Assert.NotEqual(leaf, movedTo);
        Assert.Empty(_catalog.InCategory(leaf));
        Assert.Equal(["socks"], _catalog.InCategory(movedTo).Select(i => i.Sku));

        _driver.PipeRaw(Topics.Catalog, "socks", null); // tombstone: the product is gone
        Assert.Null(_catalog.Find("socks"));
        Assert.Empty(_catalog.InCategory(leaf));
        Assert.Empty(_catalog.InCategory(movedTo));
        _driver.Pipe(Topics.CartEvents, "c3", Store.Added("c3", "socks", 1, 12m), ContractCodecs.CartEvent);
        Assert.Equal(2, _driver.DeadLetters.Count);

        _driver.PipeRaw(Topics.Catalog, "broken", Encoding.UTF8.GetBytes("{not json")); // counted, never stops the table
        Assert.Equal(1, _catalog.Table.Rejected);
        Assert.Equal(4, _catalog.Table.Applied);
    }

    [Fact]
    public async Task A_product_under_another_products_key_is_refused_counted_and_that_product_stays_as_it_was()
    {
        _driver.Pipe(Topics.Catalog, "socks", Socks(12m), ContractCodecs.ProductUpserted);
        // Keyed "socks", the record describes another product: applied, it would have served its title, price and
        // variants as the socks' add-on.
        _driver.Pipe(Topics.Catalog, "socks", Socks(99m) with { Sku = "hijack", Title = "Hijacked" }, ContractCodecs.ProductUpserted);

        Assert.Equal(1, _catalog.Table.Rejected);
        Assert.Equal(1, await Scraped("cartxsell_table_records_ignored_total{topology=\"recommender\",topic=\"catalog\"}"));
        Assert.Equal((12m, "socks"), (_catalog.Find("socks")!.Price, _catalog.Find("socks")!.Sku));
        Assert.Equal(12m, _catalog.Table.Find("socks")!.Price);
        Assert.Null(_catalog.Find("hijack"));
        Assert.Equal(["socks"], _catalog.InCategory(_catalog.Find("socks")!.LeafCategory).Select(i => i.Sku));
    }
}

/// <summary>The model in service as a global store of the recommender: published, it ranks the next event; retired, the heuristic does.</summary>
public sealed class ModelSwapTests : IDisposable
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private readonly ModelTable _models = new(new Engine.RecommendationOptions(), NullLoggerFactory.Instance, new Engine.LearningOptions());
    private readonly CapturingSink _sink = new();
    private readonly RecentBasketsTable _recent = new(new Engine.Ranking.SimilarBasketsOptions(), NullLoggerFactory.Instance);
    private readonly GroupTestDriver _driver;

    public ModelSwapTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), Store.Catalog(), Store.Learned(), _sink, models: _models,
            recentBaskets: _recent), Streams);

    public void Dispose() => _driver.Dispose();

    /// <summary>A servable model whose score follows the weighted basket cosine (feature 0).</summary>
    internal static Engine.Ranking.RankingModel CosineModel(string description)
    {
        var trees = new[] { 0.05f, 0.1f, 0.2f, 0.4f }.Select(t => new Engine.Ranking.TreeEnsemble.Tree([0], [t], [-1], [-2], [0.0, 1.0])).ToList();
        return new Engine.Ranking.RankingModel(new Engine.Ranking.TreeEnsemble(trees, -2, Engine.Ranking.RankingFeatures.Count), Engine.Ranking.RankingFeatures.Names,
            -1, 0, 0, Store.Now, description: description);
    }

    private CartRecommendation Next(string cartId)
    {
        _driver.Pipe(Topics.CartEvents, cartId, Store.Added(cartId, "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        return _sink.Latest(cartId);
    }

    [Fact]
    public void A_model_published_to_ranking_models_ranks_the_next_event_and_a_tombstone_returns_to_the_heuristic()
    {
        var before = Next("c1");
        Assert.Null(before.ModelVersion);
        Assert.NotEqual(Engine.Ranking.LearnedAddOnRanker.Learned, before.Strategy);

        var first = CosineModel("first");
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, first.ToBytes());
        var ranked = Next("c2");
        Assert.Equal(first.Version, ranked.ModelVersion);
        Assert.Equal(Engine.Ranking.LearnedAddOnRanker.Learned, ranked.Strategy);
        Assert.NotEmpty(ranked.AddOns);

        var second = CosineModel("second");
        Assert.NotEqual(first.Version, second.Version);
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, second.ToBytes());
        Assert.Equal(second.Version, Next("c3").ModelVersion); // swapped without a restart

        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, Encoding.UTF8.GetBytes("not a model")); // ignored: the model in service stays
        Assert.Equal(second.Version, Next("c4").ModelVersion);
        Assert.Equal(1, _models.Table.Rejected);
        // A model's header, then a string length that does not decode: the reader's own exception, refused the same way.
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, second.ToBytes()[..16].Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }).ToArray());
        Assert.Equal(second.Version, Next("c4b").ModelVersion);
        Assert.Equal(2, _models.Table.Rejected);

        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, null);
        var after = Next("c5");
        Assert.Null(after.ModelVersion);
        Assert.Equal(before.Strategy, after.Strategy);
    }
    [Fact]
    public void The_recommender_holds_the_orders_of_order_events_as_similar_baskets_and_the_model_in_service_reads_them()
    {
        // A model that ranks by the similar-baskets share alone: the headband is never bought with shoes in the learned
        // rows, so only the baskets held from order-events can put it first.
        var share = Engine.Ranking.RankingFeatures.Names.ToList().IndexOf("similar_baskets_share_of_top");
        var model = new Engine.Ranking.RankingModel(
            new Engine.Ranking.TreeEnsemble([new Engine.Ranking.TreeEnsemble.Tree([share], [0.5f], [-1], [-2], [0.0, 1.0])], -2, Engine.Ranking.RankingFeatures.Count),
            Engine.Ranking.RankingFeatures.Names, -1, 0, 0, Store.Now, description: "similar baskets");
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, model.ToBytes());
        Assert.NotEqual("headband", Next("c1").AddOns.Select(a => a.Sku).FirstOrDefault());

        OrderCompleted Order(string id) => new()
        {
            EventId = "e-" + id, OrderId = id, Timestamp = Store.Now.AddHours(-1),
            Lines = [new OrderLine { Sku = "running-shoes", Quantity = 1, UnitPrice = 120m }, new OrderLine { Sku = "headband", Quantity = 1, UnitPrice = 14m }],
        };
        _driver.Pipe(Topics.OrderEvents, "o1", Order("o1"), ContractCodecs.OrderCompleted);
        _driver.Pipe(Topics.OrderEvents, "o1", Order("o1"), ContractCodecs.OrderCompleted); // the same order again: held once
        _driver.Pipe(Topics.OrderEvents, "someone-else", Order("o2"), ContractCodecs.OrderCompleted); // not keyed by its order id
        _driver.PipeRaw(Topics.OrderEvents, "o3", Encoding.UTF8.GetBytes("{ not an order")); // the learner dead-letters it; skipped here
        var ranked = Next("c2");
        Assert.Equal(model.Version, ranked.ModelVersion);
        Assert.Equal("headband", ranked.AddOns[0].Sku);
        Assert.Equal(1, _recent.Baskets.Count);
        Assert.Equal(2, _recent.Rejected);
    }

    [Fact]
    public async Task A_model_fitted_on_rows_learned_otherwise_is_served_and_counted_as_a_mismatch()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _models.ExportTo(registry);
        // This service learns with the defaults (30-day half-life, 150 neighbours, window 1).
        var metrics = new Dictionary<string, double>
        {
            [Engine.Ranking.RankingModel.HalfLifeMetric] = 7 * 24, [Engine.Ranking.RankingModel.MaxNeighborsMetric] = 150,
            [Engine.Ranking.RankingModel.SequenceWindowMetric] = 1,
        };
        var weekly = CosineModel("fitted with a 7-day half-life").WithMetrics(metrics);
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, weekly.ToBytes());
        Assert.Equal(weekly.Version, Next("c1").ModelVersion); // its rows are the only ones there are: it serves
        Assert.Equal(1, _models.LearningMismatches);
        Assert.Equal(["half-life 168 h in training, 720 h served"], weekly.LearningDifferences(new Engine.LearningOptions()));

        var matching = CosineModel("fitted on the learner's settings").WithMetrics(new Dictionary<string, double>(metrics)
        {
            [Engine.Ranking.RankingModel.HalfLifeMetric] = 30 * 24,
        });
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, matching.ToBytes());
        Assert.Equal(matching.Version, Next("c2").ModelVersion);
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, CosineModel("records none").ToBytes());
        Assert.Equal(1, _models.LearningMismatches);
        Assert.Contains("\ncartxsell_models_fitted_on_other_rows_total 1\n", await MetricsText.OfAsync(registry));
    }

    [Fact]
    public void A_model_is_served_with_the_similar_baskets_reading_it_records_not_the_recommenders_own()
    {
        // Two past baskets as like the cart (running shoes) as each other: the older with the headband, the newer with
        // the water bottle. The recommender's own reading scores the 50 nearest, so both; a model fitted with 1 must be
        // served with 1: only the newer basket, so only the water bottle. The trees show what the similar baskets rank
        // first (share of top above 0.5), and nothing else clears the show threshold.
        var share = Engine.Ranking.RankingFeatures.Names.ToList().IndexOf("similar_baskets_share_of_top");
        Engine.Ranking.RankingModel Model(Engine.Ranking.CandidateOptions? candidates) => new(
            new Engine.Ranking.TreeEnsemble([new Engine.Ranking.TreeEnsemble.Tree([share], [0.5f], [-1], [-2], [0.0, 1.0])], -2, Engine.Ranking.RankingFeatures.Count),
            Engine.Ranking.RankingFeatures.Names, -1, 0, 0.2, Store.Now, description: "similar baskets", candidates: candidates);
        OrderCompleted Order(string id, string with) => new()
        {
            EventId = "e-" + id, OrderId = id, Timestamp = Store.Now.AddHours(-1),
            Lines = [new OrderLine { Sku = "running-shoes", Quantity = 1, UnitPrice = 120m }, new OrderLine { Sku = with, Quantity = 1, UnitPrice = 14m }],
        };
        _driver.Pipe(Topics.OrderEvents, "o1", Order("o1", "headband"), ContractCodecs.OrderCompleted);
        _driver.Pipe(Topics.OrderEvents, "o2", Order("o2", "water-bottle"), ContractCodecs.OrderCompleted);

        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, Model(null).ToBytes());
        Assert.Equal(["headband", "water-bottle"], Next("c1").AddOns.Select(a => a.Sku).Order(StringComparer.Ordinal));

        var fitted = Model(Engine.Ranking.CandidateOptions.For(new Engine.RecommendationOptions()) with { SimilarBasketsNeighbors = 1 });
        _driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, fitted.ToBytes());
        var ranked = Next("c2");
        Assert.Equal(fitted.Version, ranked.ModelVersion);
        Assert.Equal(["water-bottle"], ranked.AddOns.Select(a => a.Sku));
    }

    [Fact]
    public void Similar_basket_settings_are_validated_at_start_naming_their_key_and_reach_the_stream_trainer()
    {
        var options = new RecommenderOptions { SimilarBaskets = new Engine.Ranking.SimilarBasketsOptions { Capacity = 0 } };
        var refused = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.StartsWith("Recommender:SimilarBaskets:Capacity must be between 1 and", refused.Message);
        var held = new Engine.Ranking.SimilarBasketsOptions { Capacity = 500, Neighbors = 30 };
        var trainer = new Training.RankerTrainerStreamOptions().Trainer(new Engine.LearningOptions(), new Engine.RecommendationOptions(), held);
        Assert.Equal(held, trainer.Tasks.SimilarBaskets);
    }

    [Fact]
    public void Learned_rows_are_kept_once_in_numbered_form_and_read_back_as_published()
    {
        var table = new NeighborTable(NullLoggerFactory.Instance);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
        NeighborRow Row(string key, double weight, params (string Key, double Pair)[] neighbors) => new()
        {
            RowKey = key, Weight = weight, Neighbors = neighbors.Select(n => new NeighborWeight(n.Key, n.Pair)).ToArray(), UpdatedAt = at,
        };
        var socks = Row("item:socks", 5, ("item:running-shoes", 3), ("category:shoes", 2));
        table.Table.Apply("item:socks", ContractCodecs.NeighborRow.Encode(socks));
        table.Table.Apply("item:running-shoes", ContractCodecs.NeighborRow.Encode(Row("item:running-shoes", 4, ("item:socks", 3))));
        table.Table.Apply("baskets", ContractCodecs.NeighborRow.Encode(Row("baskets", 40)));
        table.Table.Apply("item:broken", "{"u8.ToArray()); // does not decode: ignored

        var back = table.Table.Find("item:socks")!;
        Assert.Equal((socks.RowKey, socks.Weight, socks.UpdatedAt), (back.RowKey, back.Weight, back.UpdatedAt));
        Assert.Equal(socks.Neighbors, back.Neighbors);
        Assert.Equal(40, table.Baskets);
        Assert.Equal(3, table.Table.Count); // the table's entries, the basket count's among them
        Assert.Equal(2, table.RowCount);
        Assert.True(table.TryGetWeight("item:running-shoes", out var weight) && weight == 4);
        Assert.Equal(["item:running-shoes", "item:socks"], table.BestSellers().Select(s => "item:" + s).Order());

        table.Table.Apply("item:running-shoes", null); // tombstone
        table.Table.Apply("baskets", null);
        Assert.Null(table.Find("item:running-shoes"));
        Assert.Equal(0, table.Baskets);
        Assert.Equal(["item:socks"], table.Table.Entries.Select(e => e.Key));
        Assert.Equal(1, table.Table.Rejected);
    }
    [Fact]
    public void A_learned_row_the_table_cannot_take_is_counted_and_skipped_and_reading_goes_on()
    {
        var table = new NeighborTable(NullLoggerFactory.Instance);
        // Decodes (the row contract has no validator) but names a neighbour without a key: the storage refuses it.
        table.Table.Apply("item:bad", """{"rowKey":"item:bad","weight":1,"neighbors":[{"key":null,"pairWeight":1}],"updatedAt":"2026-11-30T00:00:00Z"}"""u8.ToArray());
        table.Table.Apply("item:socks", ContractCodecs.NeighborRow.Encode(new NeighborRow
        {
            RowKey = "item:socks", Weight = 2, Neighbors = [new NeighborWeight("item:shoes", 1)], UpdatedAt = DateTimeOffset.UnixEpoch,
        }));

        Assert.Equal(1, table.Table.Rejected);
        Assert.Null(table.Find("item:bad"));
        Assert.Equal(2, table.Find("item:socks")!.Weight);

        // Rows that decode but may not stand: under another row's key (it would replace that row), a negative weight, a
        // negative pair weight (scores would turn negative or NaN, and a non-finite score cannot be written to Redis). Each is refused and counted; the row under that key stays as it was.
        table.Table.Apply("item:socks", """{"rowKey":"item:shoes","weight":9,"neighbors":[],"updatedAt":"2026-11-30T00:00:00Z"}"""u8.ToArray());
        table.Table.Apply("item:socks", """{"rowKey":"item:socks","weight":-1,"neighbors":[],"updatedAt":"2026-11-30T00:00:00Z"}"""u8.ToArray());
        table.Table.Apply("item:socks", """{"rowKey":"item:socks","weight":3,"neighbors":[{"key":"item:shoes","pairWeight":-2}],"updatedAt":"2026-11-30T00:00:00Z"}"""u8.ToArray());
        Assert.Equal(4, table.Table.Rejected);
        Assert.Equal(2, table.Find("item:socks")!.Weight);
        Assert.Equal([new NeighborWeight("item:shoes", 1)], table.Table.Find("item:socks")!.Neighbors);
    }

    [Theory]
    [InlineData("item:a", "item:b", 1, 1, "the key is not the row's rowKey")]
    [InlineData("item:a", "item:a", double.NaN, 1, "weight must be a finite number")]
    [InlineData("item:a", "item:a", double.PositiveInfinity, 1, "weight must be a finite number")]
    [InlineData("item:a", "item:a", -0.5, 1, "weight must be a finite number")]
    [InlineData("item:a", "item:a", 1, double.NaN, "the pair weight of 'item:b' must be a finite number")]
    [InlineData("item:a", "item:a", 1, -1, "the pair weight of 'item:b' must be a finite number")]
    [InlineData("item:a", "item:a", 1, 0, null)]
    public void A_learned_row_under_another_key_or_with_a_weight_no_score_can_use_is_refused(string key, string rowKey, double weight, double pair, string? reason)
    {
        var row = new NeighborRow { RowKey = rowKey, Weight = weight, Neighbors = [new NeighborWeight("item:b", pair)], UpdatedAt = DateTimeOffset.UnixEpoch };
        var refused = ContractValidation.Refuse(key, row);
        if (reason is null) Assert.Null(refused);
        else Assert.StartsWith(reason, refused);
    }
}
