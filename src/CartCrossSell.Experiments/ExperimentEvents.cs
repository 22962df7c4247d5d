namespace CartCrossSell.Experiments;

/// <summary>
/// What the measurement needs from the storefront streams, stripped of everything else so this library stays free
/// of the wire contracts. The topology maps cart-viewed cart events and order-completed events onto these.
/// </summary>
public abstract record ExperimentEvent
{
    // Only the two events below exist; a private protected constructor keeps it that way.
    private protected ExperimentEvent(string sessionId, string? visitorId, DateTimeOffset timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        SessionId = sessionId;
        VisitorId = visitorId;
        Timestamp = timestamp;
    }

    public string SessionId { get; }
    public string? VisitorId { get; }

    /// <summary>Event time: session windows and lateness are judged by this, never by arrival time.</summary>
    public DateTimeOffset Timestamp { get; }
}

/// <summary>The cart page was shown: the exposure trigger, identical in both cohorts.</summary>
public sealed record CartViewedEvent(string SessionId, string? VisitorId, DateTimeOffset Timestamp)
    : ExperimentEvent(SessionId, VisitorId, Timestamp);

/// <summary>A completed order. Its id makes redelivery harmless: the same order counts once per session.</summary>
public sealed record OrderCompletedEvent : ExperimentEvent
{
    public OrderCompletedEvent(string sessionId, string? visitorId, DateTimeOffset timestamp, string orderId, IReadOnlyList<ExperimentOrderLine> lines)
        : base(sessionId, visitorId, timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        ArgumentNullException.ThrowIfNull(lines);
        OrderId = orderId;
        Lines = lines;
    }

    public string OrderId { get; }
    public IReadOnlyList<ExperimentOrderLine> Lines { get; }

    public decimal Revenue => Lines.Sum(l => l.Revenue);
}

/// <summary>One order line; <see cref="Source"/> tells a widget add from any other.</summary>
public sealed record ExperimentOrderLine(string Sku, int Quantity, decimal UnitPrice, string Source)
{
    /// <summary>The <c>source</c> value of a line added from the cart-page cross-sell widget (same as the wire contract).</summary>
    public const string CrossSellWidgetSource = "cross-sell-widget";

    public decimal Revenue => Quantity * UnitPrice;

    public bool IsCrossSell => string.Equals(Source, CrossSellWidgetSource, StringComparison.Ordinal);
}
