using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Topologies.Catalog;

/// <summary>
/// The <c>catalog</c> topic as a table replicated on every instance, seen by the engine as an <see cref="ICatalog"/>,
/// with an index by leaf category for substitutes and cold start.
/// </summary>
public sealed class CatalogTable : ICatalog
{
    private readonly ConcurrentDictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, CatalogItem>> _byCategory = new(StringComparer.Ordinal);

    public CatalogTable(KafkaOptions kafka, ILoggerFactory loggers)
    {
        Table = new GlobalTable<ProductUpserted>(Topics.Catalog, ContractCodecs.ProductUpserted, kafka, loggers);
        Table.Changed += OnChanged;
    }

    public GlobalTable<ProductUpserted> Table { get; }

    public int Count => _items.Count;

    public CatalogItem? Find(string sku) => _items.GetValueOrDefault(sku);

    public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) =>
        _byCategory.TryGetValue(leafCategory, out var items) ? items.Values.ToArray() : [];

    private void OnChanged(string sku, ProductUpserted? previous, ProductUpserted? current)
    {
        if (_items.TryRemove(sku, out var old) && _byCategory.TryGetValue(old.LeafCategory, out var oldSet))
            oldSet.TryRemove(sku, out _);
        if (current is null) return;
        var item = current.ToCatalogItem();
        _items[sku] = item;
        _byCategory.GetOrAdd(item.LeafCategory, _ => new(StringComparer.Ordinal))[sku] = item;
    }
}
