using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Streamiz.Kafka.Net;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Topologies.Catalog;

/// <summary>
/// The <c>catalog</c> topic as a table replicated on every instance (a Streamiz global store of the group that reads
/// it), seen by the engine as an <see cref="ICatalog"/>, with an index by leaf category for substitutes and cold start.
/// </summary>
public sealed class CatalogTable : ICatalog, IReplicated, IChangeCount
{
    private int _changes;

    private readonly ConcurrentDictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, CatalogItem>> _byCategory = new(StringComparer.Ordinal);

    public CatalogTable(ILoggerFactory loggers)
    {
        Table = new ReplicatedTable<ProductUpserted>(Topics.Catalog, ContractCodecs.ProductUpserted, loggers);
        Table.Changed += OnChanged;
    }

    public ReplicatedTable<ProductUpserted> Table { get; }

    public string Topic => Table.Topic;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);

    public int Count => _items.Count;

    public CatalogItem? Find(string sku) => _items.GetValueOrDefault(sku);

    public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) =>
        _byCategory.TryGetValue(leafCategory, out var items) ? items.Values.ToArray() : [];

    /// <summary>How many product changes this table has applied; counted after each is applied.</summary>
    public int Changes => Volatile.Read(ref _changes);

    private void OnChanged(string sku, ProductUpserted? previous, ProductUpserted? current)
    {
        try
        {
            Apply(sku, current);
        }
        finally
        {
            // After the change: a reader that sees the new count sees the new product (a cache keyed by the count is never stale).
            Interlocked.Increment(ref _changes);
        }
    }

    private void Apply(string sku, ProductUpserted? current)
    {
        // Replaced in place, never removed first: a stream thread reading the item meanwhile sees the old or the new
        // product, not a moment without one (an add-on dropped as unknown, a cart line without its category).
        CatalogItem? old;
        if (current is null) _items.TryRemove(sku, out old);
        else
        {
            var item = current.ToCatalogItem();
            old = _items.GetValueOrDefault(sku);
            _items[sku] = item;
            _byCategory.GetOrAdd(item.LeafCategory, _ => new(StringComparer.Ordinal))[sku] = item;
            if (old is not null && old.LeafCategory == item.LeafCategory) return;
        }
        if (old is not null && _byCategory.TryGetValue(old.LeafCategory, out var oldSet)) oldSet.TryRemove(sku, out _);
    }
}
