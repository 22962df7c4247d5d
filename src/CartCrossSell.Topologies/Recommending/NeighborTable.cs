using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Streamiz.Kafka.Net;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The learned rows of the <c>item-neighbors</c> topic, replicated on every instance (a Streamiz global store of the
/// recommender), seen by the engine as <see cref="IBasketEvidence"/>. A row is converted once when it arrives, into
/// the only copy kept: <see cref="LiveEvidence"/>, which numbers rows and neighbours (a ranking reads weights by
/// number) and holds 12 bytes per neighbour plus one string per distinct key. The table's view of a row
/// (<see cref="ReplicatedTable{T}.Find"/>) is rebuilt from it when asked.
/// </summary>
public sealed class NeighborTable : IBasketEvidence, ILiveEvidenceView, IBestSellers, IReplicated, IChangeCount
{
    private readonly LiveEvidence _rows = new();
    /// <summary>The last best-seller list, replaced whole (stream threads read and refresh it concurrently).</summary>
    private volatile BestSellerList _bestSellers = new(-1, 0, 0, []);

    private sealed record BestSellerList(long Changes, long At, int Count, IReadOnlyList<string> Skus);

    public NeighborTable(ILoggerFactory loggers)
    {
        Table = new ReplicatedTable<NeighborRow>(Topics.ItemNeighbors, ContractCodecs.NeighborRow, loggers, new RowStorage(_rows),
            refuse: ContractValidation.Refuse);
    }

    public ReplicatedTable<NeighborRow> Table { get; }

    public string Topic => Table.Topic;

    public long Rejected => Table.Rejected;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);

    /// <summary>The table's change count (rows stored, clears), each counted after it is visible.</summary>
    public long Changes => Table.Changes;

    public double Baskets => _rows.Baskets;

    /// <summary>Learned rows held (items, categories, order of addition); the basket count is not a row of its own here.</summary>
    public int RowCount => _rows.TryGetWeight(RowKeys.Baskets, out _) ? _rows.RowCount - 1 : _rows.RowCount;

    /// <summary>The rows as the engine reads them (the ranker reads this type by number).</summary>
    public LiveEvidence Evidence => _rows;

    public EvidenceRow? Find(string rowKey) => _rows.Find(rowKey);

    public bool TryGetWeight(string rowKey, out double weight) => _rows.TryGetWeight(rowKey, out weight);

    /// <summary>
    /// The item rows by weight. Computed over every row, so kept for up to ten seconds while rows change (best sellers
    /// move slowly; the learned ranker only uses them as popular fallback candidates).
    /// </summary>
    public IReadOnlyList<string> BestSellers(int count = 100)
    {
        var cached = _bestSellers;
        var changes = Changes;
        var now = Environment.TickCount64;
        if (cached.Count == count && (cached.Changes == changes || now - cached.At < 10_000)) return cached.Skus;
        var skus = RankingInputs.BestSellersOf(_rows.RowWeights().Where(r => RowKeys.IsItem(r.Key)).Select(r => (RowKeys.SkuOf(r.Key), r.Weight)), count);
        _bestSellers = new BestSellerList(changes, now, count, skus);
        return skus;
    }

    /// <summary>The table's storage: published rows go into the numbered rows, and come back out of them when read.</summary>
    private sealed class RowStorage(LiveEvidence rows) : ITableStorage<NeighborRow>
    {
        public int Count => rows.RowCount;

        public NeighborRow? Find(string key) => rows.TryFind(key, out var row, out var stamp) ? Published(row, stamp) : null;

        public bool Contains(string key) => rows.TryGetWeight(key, out _);

        public IEnumerable<KeyValuePair<string, NeighborRow>> Entries =>
            rows.RowKeys().Select(key => Find(key) is { } row ? new KeyValuePair<string, NeighborRow>(key, row) : default).Where(e => e.Key is not null);

        /// <summary>Stores a published row; the replaced one is not rebuilt (nothing reads it), a deleted one is.</summary>
        public NeighborRow? Store(string key, NeighborRow? value)
        {
            if (value is null)
            {
                var removed = Find(key);
                rows.Remove(key);
                if (key == RowKeys.Baskets) rows.SetBaskets(0);
                return removed;
            }
            rows.Apply(key, value.Weight, value.Neighbors.Select(n => new Neighbor(n.Key, n.PairWeight)).ToArray(), value.UpdatedAt.ToUnixTimeMilliseconds());
            if (key == RowKeys.Baskets) rows.SetBaskets(value.Weight);
            return null;
        }

        public void Clear() => rows.Clear();

        private static NeighborRow Published(EvidenceRow row, long stamp) => new()
        {
            RowKey = row.Key,
            Weight = row.Weight,
            Neighbors = row.Neighbors.Select(n => new NeighborWeight(n.Key, n.PairWeight)).ToArray(),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(stamp),
        };
    }
}
