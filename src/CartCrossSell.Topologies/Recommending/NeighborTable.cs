using System.Collections.Concurrent;
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
/// on every read.
/// </summary>
public sealed class NeighborTable : IBasketEvidence, IBestSellers, IReplicated
{
    private readonly ConcurrentDictionary<string, EvidenceRow> _rows = new(StringComparer.Ordinal);
    private double _baskets;
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

    public double Baskets => Volatile.Read(ref _baskets);

    public int RowCount => _rows.Count;

    public EvidenceRow? Find(string rowKey) => _rows.GetValueOrDefault(rowKey);

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
        var skus = RankingInputs.BestSellersOf(_rows.Where(r => RowKeys.IsItem(r.Key)).Select(r => (RowKeys.SkuOf(r.Key), r.Value.Weight)), count);
        _bestSellers = (changes, now, count, skus);
        return skus;
    }

    private void OnChanged(string key, NeighborRow? previous, NeighborRow? current)
    {
        Interlocked.Increment(ref _changes);
        if (current is null)
        {
            _rows.TryRemove(key, out _);
            return;
        }
        if (key == RowKeys.Baskets)
        {
            Volatile.Write(ref _baskets, current.Weight);
            return;
        }
        _rows[key] = new EvidenceRow(key, current.Weight, current.Neighbors.Select(n => new Neighbor(n.Key, n.PairWeight)).ToArray());
    }
}
