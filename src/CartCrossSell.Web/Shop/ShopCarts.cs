using System.Collections.Concurrent;
using CartCrossSell.Contracts;

namespace CartCrossSell.Web.Shop;

public sealed record ShopCartLine(string Sku, string? VariantId, string Title, decimal UnitPrice, int Quantity, string Source);

public sealed record ShopCartView(string CartId, IReadOnlyList<ShopCartLine> Lines, decimal Total, string Currency);

/// <summary>
/// The demo shop's own carts, as any storefront keeps them in its database: built from the cart events this host
/// published (the shop's adds and the widget's one-click adds alike), in memory, for the page and the checkout.
/// The service's own view of a cart is the recommender's state; this is the storefront's, with the same line rules:
/// an add merges into the line of the same sku and variant, a removal without a variant takes every line of the sku.
/// Bounded: past <c>maxCarts</c> (default <see cref="MaxCarts"/>) the least recently changed tenth is forgotten, so a
/// public host cannot be filled up by cart ids.
/// </summary>
public sealed class ShopCarts
{
    public const int MaxCarts = 10_000;

    private sealed class Held
    {
        public List<ShopCartLine> Lines { get; } = [];
        public long Touched;
    }

    private readonly ConcurrentDictionary<string, Held> _carts = new(StringComparer.Ordinal);
    private readonly ShopCatalog _catalog;
    private readonly int _maxCarts;
    private long _clock;

    public ShopCarts(CartEventGateway gateway, ShopCatalog catalog, int maxCarts = MaxCarts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCarts, 10);
        _catalog = catalog;
        _maxCarts = maxCarts;
        gateway.CartEventPublished += (e, _) => Record(e);
    }

    public int Count => _carts.Count;

    public ShopCartView View(string cartId)
    {
        var lines = _carts.TryGetValue(cartId, out var held) ? Snapshot(held) : [];
        return new ShopCartView(cartId, lines, lines.Sum(l => l.UnitPrice * l.Quantity), "GBP");
    }

    /// <summary>Empties the cart and returns what it held (checkout).</summary>
    public IReadOnlyList<ShopCartLine> Take(string cartId) => _carts.TryRemove(cartId, out var held) ? Snapshot(held) : [];

    private static ShopCartLine[] Snapshot(Held held)
    {
        lock (held) return [.. held.Lines];
    }

    /// <summary>Applies a cart event this host published (the gateway calls it once the event is on the topic).</summary>
    public void Record(CartEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var held = _carts.GetOrAdd(e.CartId, _ => new Held());
        lock (held)
        {
            held.Touched = Interlocked.Increment(ref _clock);
            var lines = held.Lines;
            switch (e.Type)
            {
                case CartEventType.ItemAdded:
                    var at = lines.FindIndex(l => l.Sku == e.Sku && l.VariantId == e.VariantId);
                    if (at >= 0) lines[at] = lines[at] with { Quantity = lines[at].Quantity + (e.Quantity ?? 1) };
                    else lines.Add(new ShopCartLine(e.Sku!, e.VariantId, _catalog.Find(e.Sku!)?.Title ?? e.Sku!, e.UnitPrice ?? 0, e.Quantity ?? 1, e.Source));
                    break;
                case CartEventType.ItemRemoved:
                    lines.RemoveAll(l => l.Sku == e.Sku && (e.VariantId is null || l.VariantId == e.VariantId));
                    break;
                case CartEventType.CartCleared:
                    lines.Clear();
                    break;
            }
        }
        if (_carts.Count > _maxCarts) Forget(_maxCarts / 10);
    }

    /// <summary>Forgets the <paramref name="count"/> least recently changed carts (a scan, once per tenth of the bound).</summary>
    private void Forget(int count)
    {
        foreach (var stale in _carts.OrderBy(c => Volatile.Read(ref c.Value.Touched)).Take(count).Select(c => c.Key).ToArray())
            _carts.TryRemove(stale, out _);
    }
}
