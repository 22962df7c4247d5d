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
        /// <summary>Set under the cart's lock as it leaves the dictionary (checkout, eviction): a writer that finds it set starts a new cart.</summary>
        public bool Removed;
    }

    private readonly ConcurrentDictionary<string, Held> _carts = new(StringComparer.Ordinal);
    private readonly ShopCatalog _catalog;
    private readonly int _maxCarts;
    private long _clock;
    private int _count; // ConcurrentDictionary.Count takes every bucket lock: not on every event
    private int _forgetting;

    public ShopCarts(CartEventGateway gateway, ShopCatalog catalog, int maxCarts = MaxCarts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCarts, 10);
        _catalog = catalog;
        _maxCarts = maxCarts;
        gateway.CartEventPublished += (e, _) => Record(e);
    }

    public int Count => Volatile.Read(ref _count);

    public ShopCartView View(string cartId)
    {
        var lines = _carts.TryGetValue(cartId, out var held) ? Snapshot(held) : [];
        return new ShopCartView(cartId, lines, lines.Sum(l => l.UnitPrice * l.Quantity), "GBP");
    }

    /// <summary>Empties the cart and returns what it held (checkout): atomically, so two checkouts of one cart cannot both take its lines.</summary>
    public IReadOnlyList<ShopCartLine> Take(string cartId) =>
        _carts.TryGetValue(cartId, out var held) && Remove(cartId, held) is { } lines ? lines : [];

    /// <summary>Puts lines taken by a checkout back (its order was not published), merged into whatever the cart got meanwhile.</summary>
    public void Restore(string cartId, IReadOnlyList<ShopCartLine> lines) => Change(cartId, held =>
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var at = held.Lines.FindIndex(l => l.Sku == line.Sku && l.VariantId == line.VariantId);
            if (at >= 0) held.Lines[at] = held.Lines[at] with { Quantity = held.Lines[at].Quantity + line.Quantity };
            else held.Lines.Insert(Math.Min(i, held.Lines.Count), line);
        }
    });

    private static ShopCartLine[] Snapshot(Held held)
    {
        lock (held) return [.. held.Lines];
    }

    /// <summary>Applies a cart event this host published (the gateway calls it once the event is on the topic).</summary>
    public void Record(CartEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Change(e.CartId, held =>
        {
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
        });
    }

    /// <summary>Changes a cart under its lock, starting it if new (or if it left the dictionary meanwhile); then keeps the bound.</summary>
    private void Change(string cartId, Action<Held> change)
    {
        while (true)
        {
            if (!_carts.TryGetValue(cartId, out var held))
            {
                var fresh = new Held();
                held = _carts.GetOrAdd(cartId, fresh);
                if (ReferenceEquals(held, fresh)) Interlocked.Increment(ref _count);
            }
            lock (held)
            {
                if (held.Removed) continue;
                held.Touched = Interlocked.Increment(ref _clock);
                change(held);
            }
            break;
        }
        if (Count > _maxCarts && Interlocked.CompareExchange(ref _forgetting, 1, 0) == 0)
        {
            try
            {
                Forget(_maxCarts / 10);
            }
            finally
            {
                Volatile.Write(ref _forgetting, 0);
            }
        }
    }

    /// <summary>Takes a cart out of the dictionary under its lock, so no change lands in it afterwards; its lines, or null if it had gone.</summary>
    private ShopCartLine[]? Remove(string cartId, Held held)
    {
        lock (held)
        {
            if (held.Removed || !_carts.TryRemove(new KeyValuePair<string, Held>(cartId, held))) return null;
            held.Removed = true;
            Interlocked.Decrement(ref _count);
            return [.. held.Lines];
        }
    }

    /// <summary>Forgets the <paramref name="count"/> least recently changed carts (one thread at a time, once per tenth of the bound).</summary>
    private void Forget(int count)
    {
        foreach (var (cartId, held) in _carts.OrderBy(c => Volatile.Read(ref c.Value.Touched)).Take(count).ToArray())
            Remove(cartId, held);
    }
}
