using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
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

    public ReplicatedTableTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), _catalog, Store.Learned(), _sink), Streams);

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

        _driver.PipeRaw(Topics.Catalog, "socks", null); // tombstone: the product is gone
        Assert.Null(_catalog.Find("socks"));
        Assert.Empty(_catalog.InCategory("socks"));
        _driver.Pipe(Topics.CartEvents, "c3", Store.Added("c3", "socks", 1, 12m), ContractCodecs.CartEvent);
        Assert.Equal(2, _driver.DeadLetters.Count);

        _driver.PipeRaw(Topics.Catalog, "broken", Encoding.UTF8.GetBytes("{not json")); // counted, never stops the table
        Assert.Equal(1, _catalog.Table.Rejected);
        Assert.Equal(3, _catalog.Table.Applied);
    }
}
