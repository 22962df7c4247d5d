using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
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
public sealed class NeighborTable : IBasketEvidence, IReplicated
{
    private readonly ConcurrentDictionary<string, EvidenceRow> _rows = new(StringComparer.Ordinal);
    private double _baskets;

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

    private void OnChanged(string key, NeighborRow? previous, NeighborRow? current)
    {
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
