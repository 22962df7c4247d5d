namespace CartCrossSell.Experiments;

/// <summary>
/// What the measurement needs from the storefront streams, stripped of everything else so this library stays free
/// of the wire contracts. The topology maps cart views, one-click adds from the widget, completed orders and the
/// widget's impressions onto these.
/// </summary>
public abstract record ExperimentEvent
{
    // Only the events below exist; a private protected constructor keeps it that way.
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

/// <summary>
/// The cart-page module showed one value of the cart: its skus in position order (position 1 first). One value
/// version is one impression, however often it is reported (page reloads, redelivery): see <see cref="SessionEngagement"/>.
/// </summary>
public sealed record ImpressionShownEvent : ExperimentEvent
{
    public ImpressionShownEvent(string sessionId, string? visitorId, DateTimeOffset timestamp, string cartId, long valueVersion,
        IReadOnlyList<string> skus, string modelVersion)
        : base(sessionId, visitorId, timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(cartId);
        ArgumentNullException.ThrowIfNull(skus);
        if (skus.Count is 0 or > SessionEngagement.Positions)
            throw new ArgumentException($"An impression shows 1 to {SessionEngagement.Positions} skus, not {skus.Count}.", nameof(skus));
        CartId = cartId;
        ValueVersion = valueVersion;
        Skus = skus;
        ModelVersion = modelVersion;
    }

    public string CartId { get; }
    public long ValueVersion { get; }
    public IReadOnlyList<string> Skus { get; }
    public string ModelVersion { get; }

    /// <summary>What makes two reports the same impression: the cart and the version of its value.</summary>
    public string ImpressionId => $"{CartId}#{ValueVersion}";
}

/// <summary>A one-click add from the widget (an <c>itemAdded</c> whose source is the widget); its event id makes redelivery harmless.</summary>
public sealed record WidgetAddEvent : ExperimentEvent
{
    public WidgetAddEvent(string sessionId, string? visitorId, DateTimeOffset timestamp, string eventId, string sku)
        : base(sessionId, visitorId, timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        ArgumentException.ThrowIfNullOrEmpty(sku);
        EventId = eventId;
        Sku = sku;
    }

    public string EventId { get; }
    public string Sku { get; }
}
