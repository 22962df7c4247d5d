using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;

namespace CartCrossSell.Load;

/// <summary>One step a shopper takes: add a basket line to the cart, or view the cart.</summary>
public readonly record struct CartStep(HistoricalLine? Add)
{
    public bool IsView => Add is null;
}

/// <summary>
/// The script of one cart, built from a real basket: its lines added in file order (the order the shopper added
/// them), with a cart view after every third add and at the end, as a shopper checks the cart while shopping.
/// </summary>
public sealed class CartScript
{
    private readonly IReadOnlyList<CartStep> _steps;
    private int _next;

    public CartScript(string cartId, HistoricalOrder basket)
    {
        CartId = cartId;
        var steps = new List<CartStep>();
        for (var i = 0; i < basket.Lines.Count; i++)
        {
            steps.Add(new CartStep(basket.Lines[i]));
            if (i % 3 == 2) steps.Add(new CartStep(null));
        }
        if (!steps[^1].IsView) steps.Add(new CartStep(null));
        _steps = steps;
    }

    public string CartId { get; }
    public string SessionId => $"session-{CartId}";
    public bool Done => _next >= _steps.Count;
    public CartStep Next() => _steps[_next++];
}

/// <summary>
/// Cart events as many concurrent shoppers produce them: <see cref="ActiveCarts"/> carts in progress, each event
/// from a cart picked at random, a finished cart replaced by a new one built from the next real basket. The same
/// seed gives the same sequence. Not thread-safe: one producer thread publishes.
/// </summary>
public sealed class CartTraffic
{
    private readonly IReadOnlyList<HistoricalOrder> _baskets;
    private readonly List<CartScript> _active;
    private readonly Random _random;
    private readonly StorefrontCarts _storefront;
    private readonly string _runTag;
    private readonly Dictionary<string, DateTimeOffset> _lastEventAt = new(StringComparer.Ordinal);
    private int _nextBasket, _cartsStarted;

    public CartTraffic(IReadOnlyList<HistoricalOrder> baskets, int activeCarts, StorefrontCarts storefront, int seed, string runTag)
    {
        if (baskets.Count == 0) throw new ArgumentException("no baskets to build carts from", nameof(baskets));
        _baskets = baskets;
        _storefront = storefront;
        _random = new Random(seed);
        _runTag = runTag;
        _active = new List<CartScript>(activeCarts);
        for (var i = 0; i < activeCarts; i++) _active.Add(NewCart());
    }

    public int ActiveCarts => _active.Count;
    public long Published { get; private set; }

    /// <summary>The timestamp of the last event published per cart: what its Redis value must answer after a drain.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastEventAt => _lastEventAt;

    /// <summary>Baskets usable as carts: at least two and at most <paramref name="maxProducts"/> distinct products.</summary>
    public static IReadOnlyList<HistoricalOrder> Baskets(IEnumerable<HistoricalOrder> orders, int maxProducts) =>
        orders.Where(o => o.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).Count() is var n && n >= 2 && n <= maxProducts)
            .OrderBy(o => o.OrderId, StringComparer.Ordinal)
            .ToArray();

    /// <summary>Publishes the next cart event (queued in the producer; the caller flushes).</summary>
    public CartEvent PublishNext()
    {
        var slot = _random.Next(_active.Count);
        var cart = _active[slot];
        var step = cart.Next();
        var e = step.Add is { } line
            ? _storefront.AddItem(cart.CartId, cart.SessionId, line.Sku, line.VariantId, Math.Clamp(line.Quantity, 1, ContractValidation.MaxQuantity), line.UnitPrice)
            : _storefront.View(cart.CartId, cart.SessionId);
        _lastEventAt[cart.CartId] = e.Timestamp;
        if (cart.Done) _active[slot] = NewCart();
        Published++;
        return e;
    }

    private CartScript NewCart()
    {
        var basket = _baskets[_nextBasket];
        _nextBasket = (_nextBasket + 1) % _baskets.Count;
        return new CartScript($"load-{_runTag}-{_cartsStarted++:D6}", basket);
    }
}
