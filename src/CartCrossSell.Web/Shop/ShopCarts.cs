using System.Collections.Concurrent;
using CartCrossSell.Contracts;

namespace CartCrossSell.Web.Shop;

public sealed record ShopCartLine(string Sku, string? VariantId, string Title, decimal UnitPrice, int Quantity, string Source);

public sealed record ShopCartView(string CartId, IReadOnlyList<ShopCartLine> Lines, decimal Total, string Currency);

/// <summary>
/// The demo shop's own carts, as any storefront keeps them in its database: built from the cart events this host
/// published (the shop's adds and the widget's one-click adds alike), in memory, for the page and the checkout.
/// The service's own view of a cart is the recommender's state; this is the storefront's.
/// </summary>
public sealed class ShopCarts
{
    private readonly ConcurrentDictionary<string, List<ShopCartLine>> _carts = new(StringComparer.Ordinal);
    private readonly ShopCatalog _catalog;

    public ShopCarts(CartEventGateway gateway, ShopCatalog catalog)
    {
        _catalog = catalog;
        gateway.CartEventPublished += (e, _) => Apply(e);
    }

    public ShopCartView View(string cartId)
    {
        var lines = _carts.TryGetValue(cartId, out var held) ? Snapshot(held) : [];
        return new ShopCartView(cartId, lines, lines.Sum(l => l.UnitPrice * l.Quantity), "GBP");
    }

    /// <summary>Empties the cart and returns what it held (checkout).</summary>
    public IReadOnlyList<ShopCartLine> Take(string cartId) => _carts.TryRemove(cartId, out var held) ? Snapshot(held) : [];

    private static ShopCartLine[] Snapshot(List<ShopCartLine> lines)
    {
        lock (lines) return [.. lines];
    }

    private void Apply(CartEvent e)
    {
        var lines = _carts.GetOrAdd(e.CartId, _ => []);
        lock (lines)
        {
            var at = lines.FindIndex(l => l.Sku == e.Sku);
            switch (e.Type)
            {
                case CartEventType.ItemAdded when at >= 0:
                    lines[at] = lines[at] with { Quantity = lines[at].Quantity + (e.Quantity ?? 1) };
                    break;
                case CartEventType.ItemAdded:
                    lines.Add(new ShopCartLine(e.Sku!, e.VariantId, _catalog.Find(e.Sku!)?.Title ?? e.Sku!, e.UnitPrice ?? 0, e.Quantity ?? 1, e.Source));
                    break;
                case CartEventType.ItemRemoved when at >= 0:
                    lines.RemoveAt(at);
                    break;
                case CartEventType.CartCleared:
                    lines.Clear();
                    break;
            }
        }
    }
}
