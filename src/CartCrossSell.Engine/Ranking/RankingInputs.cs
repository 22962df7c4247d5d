namespace CartCrossSell.Engine.Ranking;

/// <summary>Evidence that can name its best sellers (item rows by weight): the learned ranker's popular fallback candidates.</summary>
public interface IBestSellers
{
    IReadOnlyList<string> BestSellers(int count = 100);
}

/// <summary>
/// What the candidate sources read: learned rows, the catalog (optional) and the best sellers, all as of one
/// snapshot. Immutable; safe to share between threads when the evidence and catalog are.
/// </summary>
public sealed class RankingInputs
{
    public RankingInputs(IBasketEvidence evidence, ICatalog? catalog, DecayClock clock, IReadOnlyList<string> bestSellers)
    {
        Evidence = evidence;
        Catalog = catalog;
        Clock = clock;
        BestSellers = bestSellers;
    }

    public IBasketEvidence Evidence { get; }
    public ICatalog? Catalog { get; }
    public DecayClock Clock { get; }

    /// <summary>
    /// The newest orders' baskets (the similar-baskets source and features); null where none are held, which a model
    /// reads as no basket being similar. Not a snapshot: the stream's index grows while it is read.
    /// </summary>
    public SimilarBaskets? SimilarBaskets { get; init; }

    /// <summary>The most bought items, best first (at least as many as the popular source takes).</summary>
    public IReadOnlyList<string> BestSellers { get; }

    /// <summary>
    /// The <paramref name="take"/> items of a leaf category with the most learned weight, strongest first (equal weights
    /// by sku). Kept for the life of these inputs, whose evidence and catalog must not change meanwhile (in the stream,
    /// while the replicated tables count no change: the recommender's LearnedRankingInputs; one fold's frozen counts in
    /// training, where ranking every task's candidates sorted each complementary category again and was a sixth of the
    /// time to draw the tasks).
    /// </summary>
    public IReadOnlyList<(string Sku, double Weight)> CategoryLeaders(string leaf, int take)
    {
        if (Catalog is null) return [];
        var leaders = _leaders ??= new(StringComparer.Ordinal);
        // A static factory with its state: a capturing lambda was a new closure and delegate on every call, hit or not.
        return leaders.GetOrAdd(leaf, static (l, inputs) => inputs.Catalog!.InCategory(l)
            .Select(i => (i.Sku, Weight: inputs.Evidence.TryGetWeight(RowKeys.Item(i.Sku), out var w) ? w : 0))
            .Where(i => i.Weight > 0)
            .OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal)
            .ToArray(), this) is var all && all.Length > take ? new ArraySegment<(string Sku, double Weight)>(all, 0, take) : all;
    }

    private System.Collections.Concurrent.ConcurrentDictionary<string, (string Sku, double Weight)[]>? _leaders;

    /// <summary>
    /// The row handles of the first <paramref name="count"/> (or more) <see cref="BestSellers"/> (-1: unknown sku),
    /// kept for the life of these inputs when the reader's handles outlive a call; null otherwise (look each up). Every
    /// ranking offered the same best sellers to the popular source and looked each one's row up by its key again.
    /// </summary>
    internal int[]? BestSellerHandles(RowReader reader, int count)
    {
        if (!reader.HandlesOutliveTheCall) return null;
        count = Math.Min(count, BestSellers.Count);
        if (_bestSellerHandles is { } kept && kept.Length >= count) return kept;
        return _bestSellerHandles = HandlesOf(reader, BestSellers.Take(count).ToArray());
    }

    /// <summary>
    /// As <see cref="BestSellerHandles"/>, for <paramref name="leaders"/>, the leaders of leaf category
    /// <paramref name="leaf"/> that <see cref="CategoryLeaders"/> gave (its first ones, in its order).
    /// </summary>
    internal int[]? LeaderHandles(RowReader reader, string leaf, IReadOnlyList<(string Sku, double Weight)> leaders)
    {
        if (!reader.HandlesOutliveTheCall) return null;
        var kept = _leaderHandles ??= new(StringComparer.Ordinal);
        if (kept.TryGetValue(leaf, out var handles) && handles.Length >= leaders.Count) return handles;
        var skus = new string[leaders.Count];
        for (var i = 0; i < skus.Length; i++) skus[i] = leaders[i].Sku;
        return kept[leaf] = HandlesOf(reader, skus);
    }

    private int[]? _bestSellerHandles;
    private System.Collections.Concurrent.ConcurrentDictionary<string, int[]>? _leaderHandles;

    private static int[] HandlesOf(RowReader reader, IReadOnlyList<string> skus)
    {
        var handles = new int[skus.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = reader.LookUpItem(skus[i], out _);
        return handles;
    }

    /// <summary>The best sellers of a learner (or any list of learned items with their weights).</summary>
    public static IReadOnlyList<string> BestSellersOf(IEnumerable<(string Sku, double Weight)> items, int count = 100) =>
        items.OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal).Take(count).Select(i => i.Sku).ToArray();

    /// <summary>The best sellers of a compact store (item rows by weight).</summary>
    public static IReadOnlyList<string> BestSellersOf(CompactEvidence evidence, int count = 100) =>
        BestSellersOf(evidence.RowKeysHeld.Where(RowKeys.IsItem)
            .Select(k => (RowKeys.SkuOf(k), evidence.TryGetWeight(k, out var w) ? w : 0)), count);
}
