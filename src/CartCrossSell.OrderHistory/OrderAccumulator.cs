namespace CartCrossSell.OrderHistory;

/// <summary>
/// Groups lines into orders in the order the order ids first appear, keeps lines in file order, and merges a line
/// into an earlier line of the same order with the same sku and variant (quantities summed, first position kept,
/// unit price the quantity-weighted mean rounded to the penny).
/// </summary>
internal sealed class OrderAccumulator
{
    private readonly Dictionary<string, Builder> _orders = new(StringComparer.Ordinal);
    private readonly List<Builder> _inOrder = [];

    public int MergedLines { get; private set; }

    public void Add(string orderId, DateTimeOffset timestamp, string? customerId, HistoricalLine line)
    {
        if (!_orders.TryGetValue(orderId, out var order))
        {
            order = new Builder(orderId, timestamp, customerId);
            _orders.Add(orderId, order);
            _inOrder.Add(order);
        }
        if (timestamp < order.Timestamp) order.Timestamp = timestamp;
        order.CustomerId ??= customerId;
        var key = (line.Sku, line.VariantId);
        if (order.Index.TryGetValue(key, out var at))
        {
            var first = order.Lines[at];
            var quantity = first.Quantity + line.Quantity;
            var price = first.UnitPrice == line.UnitPrice
                ? first.UnitPrice
                : Math.Round((first.UnitPrice * first.Quantity + line.UnitPrice * line.Quantity) / quantity, 2, MidpointRounding.AwayFromZero);
            order.Lines[at] = first with { Quantity = quantity, UnitPrice = price, Title = first.Title ?? line.Title };
            MergedLines++;
            return;
        }
        order.Index.Add(key, order.Lines.Count);
        order.Lines.Add(line);
    }

    public IReadOnlyList<HistoricalOrder> Build() =>
        _inOrder.Select(o => new HistoricalOrder(o.OrderId, o.Timestamp, o.CustomerId, o.Lines.ToArray())).ToList();

    private sealed class Builder(string orderId, DateTimeOffset timestamp, string? customerId)
    {
        public string OrderId { get; } = orderId;
        public DateTimeOffset Timestamp { get; set; } = timestamp;
        public string? CustomerId { get; set; } = customerId;
        public List<HistoricalLine> Lines { get; } = [];
        public Dictionary<(string, string?), int> Index { get; } = [];
    }
}
