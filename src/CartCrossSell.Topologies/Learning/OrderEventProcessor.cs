using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// A processor of <c>order-events</c> that learns from orders (the basket splitter, the ranker trainer's sample): both
/// admit an order by the same rules, so an order one of them dead-letters never teaches the other.
/// </summary>
public abstract class OrderEventProcessor(ProcessorRuntime runtime, LearnerOptions options)
    : RecordProcessor<OrderCompleted>(runtime, ContractCodecs.OrderCompleted)
{
    /// <summary>The learner's admission and deduplication settings.</summary>
    protected LearnerOptions Learner { get; } = options;

    /// <summary>False, and a <c>key-mismatch</c> dead letter, when the record is not keyed by its order id (the topic's partitioning).</summary>
    protected bool KeyedByOrderId(InputRecord<OrderCompleted> record) => KeyedBy(record.Key, record.Value.OrderId, "orderId");

    /// <summary>
    /// False, and an <c>implausible-time</c> dead letter, when the order's own time is older than
    /// <c>Learner:MaxOrderAge</c> or too far ahead of the clock.
    /// </summary>
    protected bool PlausibleOrderTime(OrderCompleted order) => PlausibleTime(order.Timestamp, Learner.MaxOrderAge);
}
