using CartCrossSell.Contracts;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The newest orders' baskets on every recommender, for the learned ranker's similar-baskets source: <c>order-events</c>
/// read as a Streamiz global store (from the beginning at start, then following), each valid order keyed by its id
/// added to a <see cref="SimilarBaskets"/> index that keeps the newest <see cref="SimilarBasketsOptions.Capacity"/>.
/// The topic is not compacted: what it retains bounds what a restarted instance holds again (the index forgets older
/// baskets anyway). An order seen again (a replay, a republished order) is held once. A record that does not decode or
/// validate is counted and skipped here: the learner's basket splitter, which reads the same topic, dead-letters it.
/// </summary>
/// <remarks>
/// A start applies only the newest <see cref="BootstrapRecords"/> records by their timestamp (the order's time, as the
/// storefront and the backfill publish them), oldest first: Streamiz's bootstrap reads one partition after the other,
/// so the newest baskets read were the last partitions' newest (a quarter of the orders, over four times the span), and
/// every retained order was decoded to be forgotten again. The margin over the capacity covers the records among the
/// newest that hold no basket (one item, a replay, a record that does not decode), so a start holds the newest
/// <see cref="SimilarBasketsOptions.Capacity"/> baskets unless more than a tenth of the newest records are such.
/// </remarks>
public sealed class RecentBasketsTable : IReplicated
{
    public RecentBasketsTable(SimilarBasketsOptions options, ILoggerFactory loggers)
    {
        Baskets = new SimilarBaskets(options);
        BootstrapRecords = options.Capacity + Math.Max(100, options.Capacity / 10);
        Table = new ReplicatedTable<OrderCompleted>(Topics.OrderEvents, ContractCodecs.OrderCompleted, loggers, new IndexStorage(Baskets),
            refuse: static (key, order) => string.Equals(key, order.OrderId, StringComparison.Ordinal) ? null : $"the key is not the order's orderId '{order.OrderId}'",
            bootstrapNewest: BootstrapRecords);
    }

    /// <summary>The newest records of <c>order-events</c> a start decodes and applies: the capacity and a tenth more (at least 100 more).</summary>
    public int BootstrapRecords { get; }

    /// <summary>The baskets held (what the learned ranker reads).</summary>
    public SimilarBaskets Baskets { get; }

    public ReplicatedTable<OrderCompleted> Table { get; }

    public string Topic => Table.Topic;

    public long Rejected => Table.Rejected;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);

    /// <summary>Orders go into the index as baskets of distinct skus; nothing is kept by key (the index is the table).</summary>
    private sealed class IndexStorage(SimilarBaskets baskets) : ITableStorage<OrderCompleted>
    {
        public int Count => baskets.Count;
        public OrderCompleted? Find(string key) => null;
        public bool Contains(string key) => false;
        public IEnumerable<KeyValuePair<string, OrderCompleted>> Entries => [];

        public OrderCompleted? Store(string key, OrderCompleted? value)
        {
            // A tombstone on an order topic means nothing to the index: an order, once bought, stays a basket until it ages out.
            if (value is not null) baskets.Add(key, value.Lines.Select(l => l.Sku)); // the index holds each sku once
            return null;
        }

        public void Clear() => baskets.Clear();
    }
}
