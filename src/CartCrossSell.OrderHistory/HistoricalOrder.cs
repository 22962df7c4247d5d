using System.Security.Cryptography;
using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// One past order as read from a file. <see cref="Lines"/> are in file order, which is the order the shopper added
/// the items: the evaluation's "last item added" protocol relies on it.
/// </summary>
public sealed record HistoricalOrder(
    string OrderId,
    DateTimeOffset Timestamp,
    string? CustomerId,
    IReadOnlyList<HistoricalLine> Lines)
{
    /// <summary>The namespace of the name-based (RFC 9562 version 5) event ids of backfilled orders.</summary>
    public static readonly Guid BackfillNamespace = new("6f1d5a3e-2c4b-4e8a-9b7d-0a1c2e3f4b5d");

    /// <summary>
    /// The <see cref="OrderCompleted"/> event for this order, as the backfill publishes it: the event id is a
    /// name-based UUID of the order id (the same order always gets the same event id, so a replayed backfill is
    /// recognisable), the customer id becomes the visitor id, and every line has source <c>backfill</c>.
    /// </summary>
    public OrderCompleted ToOrderCompleted(string currency = "GBP") => new()
    {
        EventId = BackfillEventId(OrderId),
        OrderId = OrderId,
        VisitorId = CustomerId,
        Currency = currency,
        Timestamp = Timestamp,
        Lines = Lines.Select(l => new OrderLine
        {
            Sku = l.Sku,
            VariantId = l.VariantId,
            Quantity = l.Quantity,
            UnitPrice = l.UnitPrice,
            Source = EventSources.Backfill,
        }).ToList(),
    };

    /// <summary>The deterministic event id of the backfilled order <paramref name="orderId"/> (a version 5 UUID).</summary>
    public static string BackfillEventId(string orderId)
    {
        ArgumentNullException.ThrowIfNull(orderId);
        var ns = BackfillNamespace.ToByteArray(bigEndian: true);
        var name = Encoding.UTF8.GetBytes(orderId);
        var input = new byte[ns.Length + name.Length];
        ns.CopyTo(input, 0);
        name.CopyTo(input, ns.Length);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for version 5 UUIDs; no security relies on it.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}

/// <summary>
/// One line of a past order. <see cref="Sku"/> is the product, <see cref="VariantId"/> the colour or design
/// variant bought (for Online Retail: the full stock code), <see cref="Title"/> the description on the line.
/// </summary>
public sealed record HistoricalLine(string Sku, string? VariantId, string? Title, int Quantity, decimal UnitPrice);
