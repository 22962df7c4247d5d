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
public sealed class CatalogTable : IChangingCatalog, IReplicated, IChangeCount
{
    private readonly ConcurrentDictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, CatalogItem>> _byCategory = new(StringComparer.Ordinal);

    public CatalogTable(ILoggerFactory loggers)
    {
        Table = new ReplicatedTable<ProductUpserted>(Topics.Catalog, ContractCodecs.ProductUpserted, loggers, refuse: ContractValidation.KeyMismatch);
        Table.Changed += OnChanged;
    }

    public ReplicatedTable<ProductUpserted> Table { get; }

    public string Topic => Table.Topic;

    public long Rejected => Table.Rejected;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);

    public int Count => _items.Count;

    /// <summary>The table's change count: each product change is counted after this table's index shows it.</summary>
    public long Changes => Table.Changes;

    public CatalogItem? Find(string sku) => _items.GetValueOrDefault(sku);

    public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) =>
        _byCategory.TryGetValue(leafCategory, out var items) ? items.Values.ToArray() : [];

    private void OnChanged(string sku, ProductUpserted? previous, ProductUpserted? current)
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
