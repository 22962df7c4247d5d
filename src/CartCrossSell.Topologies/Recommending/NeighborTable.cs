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
/// recommender), seen by the engine as <see cref="IBasketEvidence"/>. Rows are converted once when they arrive, not
/// on every read, into <see cref="LiveEvidence"/>, which numbers rows and neighbours so a ranking reads weights by number.
/// </summary>
public sealed class NeighborTable : IBasketEvidence, ILiveEvidenceView, IBestSellers, IReplicated
{
    private readonly LiveEvidence _rows = new();
    private int _changes;
    private (int Changes, long At, int Count, IReadOnlyList<string> Skus) _bestSellers = (-1, 0, 0, []);

    public NeighborTable(ILoggerFactory loggers)
    {
        Table = new ReplicatedTable<NeighborRow>(Topics.ItemNeighbors, ContractCodecs.NeighborRow, loggers);
        Table.Changed += OnChanged;
    }

    public ReplicatedTable<NeighborRow> Table { get; }

    public string Topic => Table.Topic;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);

    public double Baskets => _rows.Baskets;

    public int RowCount => _rows.RowCount;

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
        var changes = Volatile.Read(ref _changes);
        var now = Environment.TickCount64;
        if (cached.Count == count && (cached.Changes == changes || now - cached.At < 10_000)) return cached.Skus;
        var skus = RankingInputs.BestSellersOf(_rows.Rows().Where(r => RowKeys.IsItem(r.Key)).Select(r => (RowKeys.SkuOf(r.Key), r.Weight)), count);
        _bestSellers = (changes, now, count, skus);
        return skus;
    }

    private void OnChanged(string key, NeighborRow? previous, NeighborRow? current)
    {
        Interlocked.Increment(ref _changes);
        if (current is null)
        {
            if (key == RowKeys.Baskets) _rows.SetBaskets(0);
            else _rows.Remove(key);
            return;
        }
        if (key == RowKeys.Baskets)
        {
            _rows.SetBaskets(current.Weight);
            return;
        }
        _rows.Apply(new EvidenceRow(key, current.Weight, current.Neighbors.Select(n => new Neighbor(n.Key, n.PairWeight)).ToArray()));
    }
}
