using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// The basket learner on Streamiz, two sub-topologies joined by an explicit repartition (as Kafka Streams would do it):
/// <list type="number">
/// <item><b>basket-splitter</b> reads <c>order-events</c> and sends each order's contribution to every row it touches
/// (items, leaf categories, order of addition, the basket count) to <c>{app}-learner-basket-rows-repartition</c>,
/// with the order's source coordinates: the rows partitioned by row key, those of one partition in one record
/// (<see cref="BasketRowBundle"/>).</item>
/// <item><b>basket-aggregator</b> reads that topic, so each task owns a slice of the rows; it keeps the decayed counts
/// in the store <c>basket-rows</c> (RocksDB, changelogged, kept decoded between commits so a hot row is encoded and
/// logged once per commit, not once per order) and publishes each changed row, at most once per <c>Learner:RowPublishInterval</c>, to the compacted
/// <c>item-neighbors</c> topic.</item>
/// </list>
/// At-least-once: after a crash the splitter sends an order's contributions again; each row remembers, per
/// <c>order-events</c> partition, the last order offset it applied and skips what it has (<see cref="BasketRowState"/>).
/// </summary>
public static class BasketLearningTopology
{
    public static string RepartitionTopic(StreamsOptions streams) =>
        TopicNames.Repartition(StreamApplication.ApplicationIdOf(streams, TopologyNames.Learner), TopologyNames.BasketRowsRepartition);

    public static TopologyGroup Build(StreamsOptions streams, LearningOptions learning, LearnerOptions learner, ICatalog catalog,
        ILoggerFactory? loggers = null, StreamsMetrics? metrics = null)
    {
        var repartition = RepartitionTopic(streams);
        var clock = new DecayClock(learning.HalfLife, learning.Landmark);
        var splitter = ProcessorRuntime.For(TopologyNames.BasketSplitter, streams, loggers, metrics: metrics);
        var aggregator = ProcessorRuntime.For(TopologyNames.BasketAggregator, streams, loggers, metrics: metrics);
        var builder = new StreamBuilder();

        var orderEvents = builder.Stream(Topics.OrderEvents, new StringSerDes(), new ByteArraySerDes(), "order-events-source");
        KeylessRecords.DeadLetterKeyless(orderEvents, splitter, "orderId", TopologyNames.BasketSplitter + "-keyless")
            .Transform(Processors.Supplier(() => new OrderSplitter(splitter, repartition, clock, catalog, learning.SequenceWindow, learner),
                    StateStores.KeyValue(TopologyNames.OrderIdsStore, new SeenOrderCodec(), streams, cached: true)),
                TopologyNames.BasketSplitter)
            .ToRoutedTopics(TopologyNames.BasketSplitter + "-sink");

        // The publication period doubles as the throttle: a row changed many times within it is published once.
        var publishEvery = learner.RowPublishInterval > TimeSpan.Zero ? learner.RowPublishInterval : learner.CommitInterval;
        builder.Stream(repartition, new StringSerDes(), new ByteArraySerDes(), "basket-rows-source")
            .Transform(Processors.Supplier(() => new RowAggregator(aggregator, learning.MaxNeighbors, publishEvery, learner.RepublishRowsPerInterval),
                    StateStores.DecodedKeyValue(TopologyNames.BasketRowsStore, new BasketRowCodec(learning.MaxNeighbors), streams,
                        learner.CachedRowPairs, row => 1 + row.Accumulator.NeighborCount)),
                TopologyNames.BasketAggregator)
            .ToRoutedTopics(TopologyNames.BasketAggregator + "-sink");

        var tables = Replicated.AddTo(builder, metrics, TopologyNames.Learner, catalog);
        return new TopologyGroup(TopologyNames.Learner, builder.Build(), [Topics.OrderEvents, repartition, .. tables], [repartition, Topics.ItemNeighbors])
        {
            CommitInterval = learner.CommitInterval,
            Threads = learner.Threads,
        };
    }

    /// <summary>
    /// Splits a completed order into row contributions (the engine's <see cref="BasketSplitter"/>), once per order id:
    /// <c>order-events</c> is keyed by order id, so the task of a partition owns the ids it remembers.
    /// </summary>
    /// <remarks>
    /// An order may name skus the catalog does not know (yet): it is learned all the same, because the order happened
    /// and the product may be published later; such a sku is never recommended until the catalog has it (the ranker
    /// only offers catalog products), and its leaf-category rows are missing until then.
    /// </remarks>
    private sealed class OrderSplitter(ProcessorRuntime runtime, string repartitionTopic, DecayClock clock, ICatalog catalog, int sequenceWindow,
        LearnerOptions learner)
        : OrderEventProcessor(runtime, learner)
    {
        private IKeyValueStore<string, SeenOrder> _seen = null!;
        private int _partitions;
        // The aggregator refuses a record above this (its input gate): no bundle is larger.
        private readonly int _maxRecordBytes = runtime.MaxRecordBytes;

        protected override void Init()
        {
            _seen = Store<IKeyValueStore<string, SeenOrder>>(TopologyNames.OrderIdsStore);
            // Asked once per task: bundles are grouped by the partition that owns each row. The repartition topic is
            // created before the group starts and never changes its partition count while the learner runs (as with
            // Kafka Streams, changing it needs an application reset).
            _partitions = PartitionsOf(repartitionTopic);
            Context.Schedule(Learner.OrderIdSweepInterval, PunctuationType.PROCESSING_TIME, _ => Forget());
        }

        protected override void Process(InputRecord<OrderCompleted> record)
        {
            var order = record.Value;
            if (!KeyedByOrderId(record)) return;
            var seen = _seen.Get(order.OrderId);
            if (seen is not null && !seen.IsRecord(record.Coordinates)) return; // learned once already: a duplicate of that order
            if (seen is null && !PlausibleOrderTime(order)) return;
            var skus = order.Lines.Select(l => l.Sku).ToArray();
            var weight = clock.WeightAt(order.Timestamp);
            // Computed whole before anything is sent, so a failure half-way sends nothing.
            var contributions = BasketSplitter.Split(skus, sku => catalog.Find(sku)?.LeafCategory, weight, sequenceWindow).ToArray();
            var bundles = contributions.Length == 0
                ? []
                : BasketRowBundle.ByPartition(contributions, row => KeyPartitioning.PartitionOf(row, _partitions), _maxRecordBytes,
                    record.Coordinates.Partition, record.Coordinates.Offset, order.Timestamp);
            var encoded = bundles.Select(b => (b.RoutingKey, Value: BasketRowBundleCodec.Instance.Encode(b))).ToArray();
            _seen.Put(order.OrderId, seen ?? new SeenOrder(record.Coordinates.Partition, record.Coordinates.Offset, Clock.GetUtcNow()));
            foreach (var (key, value) in encoded)
                Send(repartitionTopic, key, value, record.Timestamp); // the input's broker time, as Kafka Streams forwards it
        }

        /// <summary>Forgets order ids seen longer ago than the retention (a duplicate after that is learned again).</summary>
        private void Forget()
        {
            if (!StoresRestored) return;
            var before = Clock.GetUtcNow() - Learner.OrderIdRetention;
            var expired = new List<string>();
            StateStores.ForEach(_seen, (id, seen) => { if (seen.SeenAt < before) expired.Add(id); });
            foreach (var id in expired) _seen.Delete(id);
        }
    }

    /// <summary>
    /// Adds contributions to the rows this task owns and publishes the changed rows every publication period. After a
    /// (re)start every stored row is published once: a change applied before a crash but not yet published (its
    /// record then counts as applied and is skipped on replay) is not lost. <c>item-neighbors</c> is compacted, so
    /// the repeat costs bandwidth, not correctness. That walk goes <c>Learner:RepublishRowsPerInterval</c> rows per
    /// period, so the thread keeps processing (and polling: a walk longer than <c>max.poll.interval.ms</c> would cost
    /// the group its member) in a store of millions of rows.
    /// </summary>
    private sealed class RowAggregator(ProcessorRuntime runtime, int maxNeighbors, TimeSpan publishEvery, int republishPerPeriod)
        : RecordProcessor<BasketRowBundle>(runtime, BasketRowBundleCodec.Instance)
    {
        private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
        private IKeyValueStore<string, BasketRowState> _rows = null!;
        private bool _republishing;
        private string? _republishedUpTo; // the last key the walk published; null: from the first

        protected override void Init()
        {
            _rows = Store<IKeyValueStore<string, BasketRowState>>(TopologyNames.BasketRowsStore);
            (_republishing, _republishedUpTo) = (true, null);
            Context.Schedule(publishEvery, PunctuationType.PROCESSING_TIME, _ => Publish());
        }

        protected override void Process(InputRecord<BasketRowBundle> record)
        {
            var bundle = record.Value;
            // Every row is checked before any changes, so a bundle that cannot apply leaves every row as it was.
            foreach (var contribution in bundle.Rows) BasketRowState.Check(contribution.Weight, contribution.Pairs);
            var unpublished = _changed.Count;
            try
            {
                foreach (var contribution in bundle.Rows)
                {
                    // The store hands out the row it holds. A row that has this order already (replayed by the splitter
                    // after a crash) skips it, so a bundle that was half applied before a crash completes on replay.
                    var row = _rows.Get(contribution.RowKey) ?? new BasketRowState(new EvidenceAccumulator(contribution.RowKey, maxNeighbors), []);
                    if (!row.Apply(bundle.SourcePartition, bundle.SourceOffset, contribution.Weight, contribution.Pairs)) continue;
                    _rows.Put(contribution.RowKey, row);
                    _changed.Add(contribution.RowKey);
                }
            }
            finally
            {
                // Once per record, not per row (a label lookup each), and also for the rows a failing bundle added.
                Metrics?.RowsUnpublished(Name, _changed.Count - unpublished);
            }
        }

        private void Publish()
        {
            if (!StoresRestored) return; // a republication now would miss what is still being restored
            var now = Clock.GetUtcNow();
            foreach (var key in _changed)
                if (_rows.Get(key) is { } state) PublishRow(key, state, now);
            Metrics?.RowsUnpublished(Name, -_changed.Count);
            _changed.Clear();
            if (!_republishing) return;
            _republishedUpTo = StateStores.ForEachAfter(_rows, _republishedUpTo, republishPerPeriod, (key, row) => PublishRow(key, row, now));
            _republishing = _republishedUpTo is not null;
        }

        /// <summary>
        /// The task closes (revoked, or the instance stops): its unpublished rows are no longer this instance's to send.
        /// Nothing is lost: the next owner restores the store and its first periods republish every stored row.
        /// </summary>
        public override void Close()
        {
            Metrics?.RowsUnpublished(Name, -_changed.Count);
            _changed.Clear();
        }

        private void PublishRow(string key, BasketRowState state, DateTimeOffset now)
        {
            var row = state.Accumulator.ToRow();
            var published = new NeighborRow
            {
                RowKey = key,
                Weight = row.Weight,
                Neighbors = row.Neighbors.Select(n => new NeighborWeight(n.Key, n.PairWeight)).ToArray(),
                UpdatedAt = now,
            };
            Send(Topics.ItemNeighbors, key, ContractCodecs.NeighborRow.Encode(published), now);
        }
    }
}
