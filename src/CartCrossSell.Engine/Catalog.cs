namespace CartCrossSell.Engine;

/// <summary>A product as the engine sees it: full price, margin, leaf category, variants.</summary>
public sealed record CatalogItem
{
    public required string Sku { get; init; }
    public required string Title { get; init; }
    /// <summary>Root to leaf. The leaf category decides what is a substitute.</summary>
    public required IReadOnlyList<string> CategoryPath { get; init; }
    public required decimal Price { get; init; }
    /// <summary>ISO 4217 code of <see cref="Price"/>, when the catalog says (the <c>catalog</c> topic always does; order files do not).</summary>
    public string? Currency { get; init; }
    /// <summary>Margin rate in [0, 1] when known (from unit cost or a shared rate), otherwise null.</summary>
    public double? MarginRate { get; init; }
    public bool InStock { get; init; } = true;
    public bool NeedsFitDecision { get; init; }
    public IReadOnlyList<CatalogVariant> Variants { get; init; } = [];

    public string LeafCategory => CategoryPath.Count == 0 ? "" : CategoryPath[^1];
}

public sealed record CatalogVariant
{
    public required string VariantId { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public bool InStock { get; init; } = true;
    public long? UnitsSold { get; init; }
}

/// <summary>Read access to the current catalog. Implementations must be safe for concurrent reads.</summary>
public interface ICatalog
{
    CatalogItem? Find(string sku);

    /// <summary>Every product whose leaf category is <paramref name="leafCategory"/>.</summary>
    IReadOnlyCollection<CatalogItem> InCategory(string leafCategory);
}

/// <summary>
/// A catalog that counts its changes (every product stored or removed, counted once the catalog shows it), so a reader
/// may keep what it found until the count moves (the ranking's per-thread memo of catalog facts). The count is read
/// once per ranked candidate on every ranking thread: a plain (volatile) read, never a locked instruction.
/// </summary>
public interface IChangingCatalog : ICatalog
{
    long Changes { get; }
}

/// <summary>A catalog held in memory: the offline evaluation, batch recommendations and tests use it.</summary>
public sealed class InMemoryCatalog : IChangingCatalog
{
    private readonly Dictionary<string, CatalogItem> _bySku = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CatalogItem>> _byCategory = new(StringComparer.Ordinal);

    public InMemoryCatalog(IEnumerable<CatalogItem> items)
    {
        foreach (var item in items) Upsert(item);
    }

    public int Count => _bySku.Count;

    public long Changes { get; private set; }

    public IEnumerable<CatalogItem> Items => _bySku.Values;

    public void Upsert(CatalogItem item)
    {
        if (_bySku.TryGetValue(item.Sku, out var previous))
            _byCategory[previous.LeafCategory].Remove(previous);
        _bySku[item.Sku] = item;
        if (!_byCategory.TryGetValue(item.LeafCategory, out var list))
            _byCategory[item.LeafCategory] = list = [];
        list.Add(item);
        Changes++;
    }

    public CatalogItem? Find(string sku) => _bySku.GetValueOrDefault(sku);

    public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory) =>
        _byCategory.TryGetValue(leafCategory, out var list) ? list : [];
}
