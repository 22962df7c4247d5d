namespace CartCrossSell.Engine;

/// <summary>
/// One row of learned co-occurrence evidence: an item or a leaf category with its decayed basket weight and its
/// strongest neighbours. Rows are self-contained so a partitioned learner can own a slice of them.
/// </summary>
public sealed record EvidenceRow(string Key, double Weight, IReadOnlyList<Neighbor> Neighbors);

/// <summary>A neighbour row key and the decayed weight of baskets that held both.</summary>
public readonly record struct Neighbor(string Key, double PairWeight);

/// <summary>
/// Row keys: items, leaf categories, the one row that counts baskets, and the order-of-addition rows: <c>next:{sku}</c>
/// holds the items added within a few lines after the sku in an order, <c>prev:{sku}</c> those added within a few
/// lines before it (both keyed by item row key, weighted like every pair).
/// </summary>
public static class RowKeys
{
    public const string ItemPrefix = "item:";
    public const string CategoryPrefix = "category:";
    public const string NextPrefix = "next:";
    public const string PreviousPrefix = "prev:";
    public const string Baskets = "baskets";

    private const int MaxKeyOnStack = 256;

    public static string Next(string sku) => NextPrefix + sku;
    public static string Previous(string sku) => PreviousPrefix + sku;

    public static string Item(string sku) => ItemPrefix + sku;
    public static string Category(string leaf) => CategoryPrefix + leaf;
    public static bool IsItem(string key) => key.StartsWith(ItemPrefix, StringComparison.Ordinal);
    public static bool IsCategory(string key) => key.StartsWith(CategoryPrefix, StringComparison.Ordinal);
    public static string SkuOf(string itemKey) => itemKey[ItemPrefix.Length..];
    public static string CategoryOf(string categoryKey) => categoryKey[CategoryPrefix.Length..];

    /// <summary>Whether a key is an order-of-addition row (<see cref="NextPrefix"/> or <see cref="PreviousPrefix"/>), and its sku.</summary>
    internal static bool IsSequence(string key, out bool next, out ReadOnlySpan<char> sku)
    {
        next = key.StartsWith(NextPrefix, StringComparison.Ordinal);
        if (next || key.StartsWith(PreviousPrefix, StringComparison.Ordinal))
        {
            sku = key.AsSpan(next ? NextPrefix.Length : PreviousPrefix.Length);
            return true;
        }
        sku = default;
        return false;
    }

    /// <summary>
    /// Calls <paramref name="lookUp"/> with the key <paramref name="prefix"/> + <paramref name="name"/>, composed on the
    /// stack up to 256 characters (a ranking looks up dozens of such keys, cart items', categories', best sellers'; each
    /// was a new string), as a string beyond.
    /// </summary>
    internal static TResult WithKey<TState, TResult>(string prefix, ReadOnlySpan<char> name, TState state, Func<TState, ReadOnlySpan<char>, TResult> lookUp)
    {
        var length = prefix.Length + name.Length;
        if (length > MaxKeyOnStack) return lookUp(state, string.Concat(prefix, name));
        Span<char> key = stackalloc char[length];
        prefix.CopyTo(key);
        name.CopyTo(key[prefix.Length..]);
        return lookUp(state, key);
    }
}

/// <summary>Read access to learned evidence. Implementations must be safe for concurrent reads.</summary>
public interface IBasketEvidence
{
    /// <summary>The row for a key (see <see cref="RowKeys"/>), or null when nothing was learned.</summary>
    EvidenceRow? Find(string rowKey);

    /// <summary>The decayed number of baskets learned from, on the same scale as row weights.</summary>
    double Baskets { get; }

    /// <summary>
    /// The weight of a row without its neighbours. The ranker needs only the weight of most candidate rows, so stores
    /// that can answer this without materialising the row should override it.
    /// </summary>
    bool TryGetWeight(string rowKey, out double weight)
    {
        var row = Find(rowKey);
        weight = row?.Weight ?? 0;
        return row is not null;
    }
}
