using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Topologies.Tests;

/// <summary>
/// The recommender keeps the learned ranker's inputs (and with them each category's leaders) between cart events, only
/// while its replicated rows and catalog did not change: after any change the next event gets inputs that see it.
/// </summary>
public sealed class LearnedRankingInputsTests : IDisposable
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private static readonly DecayClock Clock = new(new LearningOptions().HalfLife, new LearningOptions().Landmark);
    private readonly CatalogTable _catalog = new(NullLoggerFactory.Instance);
    private readonly NeighborTable _rows = new(NullLoggerFactory.Instance);
    private readonly GroupTestDriver _driver;

    public LearnedRankingInputsTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), _catalog, _rows, new CapturingSink()), Streams);

    public void Dispose() => _driver.Dispose();

    private void Product(string sku, string leaf) =>
        _driver.Pipe(Topics.Catalog, sku, new ProductUpserted { Sku = sku, Title = sku, CategoryPath = ["home", leaf], Price = 5m }, ContractCodecs.ProductUpserted);

    private void Row(string sku, double weight) =>
        _driver.Pipe(Topics.ItemNeighbors, RowKeys.Item(sku),
            new NeighborRow { RowKey = RowKeys.Item(sku), Weight = weight, Neighbors = [], UpdatedAt = DateTimeOffset.UnixEpoch }, ContractCodecs.NeighborRow);

    private string[] Leaders(LearnedRankingInputs inputs) =>
        [.. inputs.Current().CategoryLeaders(_catalog.Find("a")!.LeafCategory, 10).Select(l => l.Sku)];

    [Fact]
    public void Inputs_are_kept_while_nothing_changes_and_renewed_after_a_row_or_a_product_changes()
    {
        Product("a", "bags");
        Product("b", "bags");
        Row("a", 3);
        Row("b", 5);
        var inputs = new LearnedRankingInputs(_rows, _catalog, Clock);
        var first = inputs.Current();
        Assert.Equal(["b", "a"], Leaders(inputs));
        Assert.Same(first, inputs.Current());

        Row("a", 20); // a row changed: the leaders follow
        Assert.NotSame(first, inputs.Current());
        Assert.Equal(["a", "b"], Leaders(inputs));

        var second = inputs.Current();
        Product("c", "bags"); // a product changed (its row comes later): new inputs
        Assert.NotSame(second, inputs.Current());
        Row("c", 9);
        Assert.Equal(["a", "c", "b"], Leaders(inputs));

        Product("b", "lamps"); // moved to another category
        Assert.Equal(["a", "c"], Leaders(inputs));
    }

    [Fact]
    public void A_table_started_again_renews_the_inputs_even_when_its_topic_replays_nothing()
    {
        Product("a", "bags");
        Row("a", 3);
        var inputs = new LearnedRankingInputs(_rows, _catalog, Clock);
        var first = inputs.Current();
        Assert.Equal(["a"], Leaders(inputs));
        // A second start of the tables (a new stream over empty topics) clears the rows and replays none.
        using (new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), _catalog, _rows, new CapturingSink()), Streams))
        {
            Assert.NotSame(first, inputs.Current());
            Assert.Empty(Leaders(inputs));
        }
    }

    [Fact]
    public void Tables_that_count_no_changes_get_new_inputs_every_time()
    {
        var inputs = new LearnedRankingInputs(_rows, new InMemoryCatalog([]), Clock);
        Assert.NotSame(inputs.Current(), inputs.Current());
    }
}
