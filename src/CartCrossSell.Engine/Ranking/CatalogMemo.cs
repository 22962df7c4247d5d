using System.Runtime.CompilerServices;

namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// The catalog facts of the skus a thread ranks (item, leaf category, price, margin), remembered from call to call while
/// the catalog's change count stays where it was. Why: the features read them for each of a cart's ~150 candidates, and
/// with the derived 2,002-product catalog those reads were 19 of the features stage's 25 µs (measured by leaving them
/// out). The cost was the walk from the sku to the dictionary's entry, the item, its category path and its leaf name,
/// each elsewhere in memory, not the hashing: remembering only the item saved nothing measurable, remembering the facts
/// beside it took the stage from about 25 to 19 µs (docs/benchmarks.md, "The catalog's facts kept per thread").
/// Direct-mapped by the sku string's identity (the rows keep one string per sku, so the same strings come back call
/// after call): a colliding sku replaces the entry and is looked up again, a new string of a known sku is looked up.
/// A catalog that does not count its changes is asked every time. Each thread keeps its last catalog referenced.
/// </summary>
internal sealed class CatalogMemo
{
    private const int Size = 4096;

    [ThreadStatic] private static CatalogMemo? _thread;

    private readonly Entry[] _entries = new Entry[Size];
    private IChangingCatalog? _catalog;
    private long _changes;

    private readonly record struct Entry(string? Sku, Facts Facts);

    /// <summary>
    /// A candidate's catalog facts the features read, kept beside its item (null: not in the catalog) so that reading
    /// them does not walk from the item to its category path to the leaf: its leaf category, full price (as a double,
    /// 0 without an item) and margin rate.
    /// </summary>
    public readonly record struct Facts(CatalogItem? Item, string? Leaf, double Price, double? MarginRate)
    {
        public static Facts Of(CatalogItem? item) => item is null ? default : new Facts(item, item.LeafCategory, (double)item.Price, item.MarginRate);
    }

    /// <summary>What <see cref="ICatalog.Find"/> answers for <paramref name="sku"/>, from this thread's memo when the catalog has not changed since.</summary>
    public static CatalogItem? Find(ICatalog catalog, string sku) => FactsOf(catalog, sku).Item;

    /// <summary>As <see cref="Find"/>, with the facts the features read kept beside the item.</summary>
    public static Facts FactsOf(ICatalog catalog, string sku)
    {
        if (catalog is not IChangingCatalog changing) return Facts.Of(catalog.Find(sku));
        var memo = _thread ??= new CatalogMemo();
        // Read before the lookup: a change counted meanwhile empties the memo at the next call, so nothing older than
        // the count stays (a ranking may mix items of a few milliseconds apart, as lookups one by one always could). A
        // catalog must answer this with a plain read: it is asked once per candidate, on every stream thread at once.
        var changes = changing.Changes;
        if (!ReferenceEquals(memo._catalog, changing) || memo._changes != changes)
        {
            Array.Clear(memo._entries);
            memo._catalog = changing;
            memo._changes = changes;
        }
        ref var entry = ref memo._entries[RuntimeHelpers.GetHashCode(sku) & (Size - 1)];
        if (ReferenceEquals(entry.Sku, sku)) return entry.Facts;
        entry = new Entry(sku, Facts.Of(catalog.Find(sku)));
        return entry.Facts;
    }
}
