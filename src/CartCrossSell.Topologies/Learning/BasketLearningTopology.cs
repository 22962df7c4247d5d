using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// The basket learner, two topologies joined by an explicit repartition (as Kafka Streams would do it):
/// <list type="number">
/// <item><b>basket-splitter</b> reads <c>order-events</c> and sends each order's contribution to every row it touches
/// (items, leaf categories, the basket count) to <c>{app}-basket-rows-repartition</c>, keyed by row, with the order's
/// source coordinates.</item>
/// <item><b>basket-aggregator</b> reads that topic, so each partition owns a slice of the rows; it keeps the decayed
/// counts in the changelogged store <c>basket-rows</c> and publishes each changed row, at most once per commit, to
/// the compacted <c>item-neighbors</c> topic.</item>
/// </list>
/// </summary>
public static class BasketLearningTopology
{
    public static Topology<OrderCompleted> Splitter(StreamsOptions streams, LearningOptions learning, ICatalog catalog)
    {
        var repartition = TopicNames.Repartition(streams.ApplicationId, TopologyNames.BasketRowsRepartition);
        var clock = new DecayClock(learning.HalfLife, learning.Landmark);
        return new TopologyBuilder<OrderCompleted>(TopologyNames.BasketSplitter, Topics.OrderEvents, ContractCodecs.OrderCompleted)
            .WithOutput(repartition)
            .WithProcessor(_ => new OrderSplitter(repartition, clock, catalog, learning.SequenceWindow))
            .Build();
    }

    public static Topology<BasketRowDelta> Aggregator(StreamsOptions streams, LearningOptions learning, TimeSpan? rowPublishInterval = null)
    {
        var repartition = TopicNames.Repartition(streams.ApplicationId, TopologyNames.BasketRowsRepartition);
        return new TopologyBuilder<BasketRowDelta>(TopologyNames.BasketAggregator, repartition, ContractCodecs.BasketRowDelta)
            .WithStore(StoreSpec.KeyValue(TopologyNames.BasketRowsStore, new BasketRowCodec(learning.MaxNeighbors)))
            .WithOutput(Topics.ItemNeighbors)
            .WithProcessor(_ => new RowAggregator(learning.MaxNeighbors, rowPublishInterval ?? TimeSpan.Zero))
            .Build();
    }

    /// <summary>Splits a completed order into row contributions (the engine's <see cref="BasketSplitter"/>).</summary>
    private sealed class OrderSplitter(string repartitionTopic, DecayClock clock, ICatalog catalog, int sequenceWindow) : IProcessor<OrderCompleted>
    {
        private IProcessorContext _context = null!;

        public void Init(IProcessorContext context) => _context = context;

        public void Process(InputRecord<OrderCompleted> record)
        {
            var order = record.Value;
            var skus = order.Lines.Select(l => l.Sku).ToArray();
            var weight = clock.WeightAt(order.Timestamp);
            foreach (var contribution in BasketSplitter.Split(skus, sku => catalog.Find(sku)?.LeafCategory, weight, sequenceWindow))
            {
                var delta = new BasketRowDelta
                {
                    RowKey = contribution.RowKey,
                    Weight = contribution.Weight,
                    Pairs = contribution.Pairs.Select(p => new NeighborWeight(p.Key, p.PairWeight)).ToArray(),
                    SourcePartition = record.Coordinates.Partition,
                    SourceOffset = record.Coordinates.Offset,
                    Timestamp = order.Timestamp,
                };
                _context.Send(repartitionTopic, contribution.RowKey, ContractCodecs.BasketRowDelta.Encode(delta), order.Timestamp);
            }
        }
    }

    /// <summary>
    /// Adds contributions to the rows this partition owns and publishes changed rows, each at most once per publish
    /// interval (the throttle). After a restart every restored row is published once: a change that was logged but
    /// held back by the throttle before the crash is then not lost.
    /// </summary>
    private sealed class RowAggregator(int maxNeighbors, TimeSpan publishInterval) : IProcessor<BasketRowDelta>
    {
        private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DateTimeOffset> _publishedAt = new(StringComparer.Ordinal);
        private IProcessorContext _context = null!;
        private IKeyValueStore<BasketRowState> _rows = null!;

        public void Init(IProcessorContext context)
        {
            _context = context;
            _rows = context.GetStore<BasketRowState>(TopologyNames.BasketRowsStore);
            foreach (var (key, _) in _rows.All()) _changed.Add(key);
        }

        public void Process(InputRecord<BasketRowDelta> record)
        {
            var delta = record.Value;
            var row = _rows.Get(delta.RowKey)
                      ?? new BasketRowState(new EvidenceAccumulator(delta.RowKey, maxNeighbors), []);
            if (!row.Apply(delta.SourcePartition, delta.SourceOffset, delta.Weight, delta.Pairs.Select(p => new Neighbor(p.Key, p.PairWeight))))
                return; // this order was already counted (replayed by the splitter after a crash)
            _rows.Put(delta.RowKey, row);
            _changed.Add(delta.RowKey);
        }

        public void Flush()
        {
            if (_changed.Count == 0) return;
            var now = _context.Clock.GetUtcNow();
            var held = new List<string>();
            foreach (var key in _changed)
            {
                if (_publishedAt.TryGetValue(key, out var last) && now - last < publishInterval)
                {
                    held.Add(key);
                    continue;
                }
                _publishedAt[key] = now;
                if (_rows.Get(key) is not { } state) continue;
                var row = state.Accumulator.ToRow();
                var published = new NeighborRow
                {
                    RowKey = key,
                    Weight = row.Weight,
                    Neighbors = row.Neighbors.Select(n => new NeighborWeight(n.Key, n.PairWeight)).ToArray(),
                    UpdatedAt = now,
                };
                _context.Send(Topics.ItemNeighbors, key, ContractCodecs.NeighborRow.Encode(published), now);
            }
            _changed.Clear();
            _changed.UnionWith(held);
        }
    }
}
