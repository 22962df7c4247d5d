using CartCrossSell.Contracts;

namespace CartCrossSell.Simulation;

/// <summary>What the simulated shopper does next; the host turns it into a cart event, an order, or nothing.</summary>
public abstract record ShopperAction;

/// <summary>Put a line in the cart: by hand (<see cref="EventSources.Simulator"/>) or with one click from the module.</summary>
public sealed record AddToCart(CartLine Line) : ShopperAction;

/// <summary>Open the cart page: the host publishes a cart view, reads the cart's key as the storefront would, and calls <see cref="ShopperSession.Shown"/>.</summary>
public sealed record ViewCart : ShopperAction;

public sealed record PlaceOrder(IReadOnlyList<CartLine> Lines) : ShopperAction;

/// <summary>The shopper leaves; the cart is abandoned (nothing is published).</summary>
public sealed record LeaveCart : ShopperAction;

/// <summary>A line of the simulated cart.</summary>
public sealed record CartLine(string Sku, string? VariantId, int Quantity, decimal UnitPrice, string Source)
{
    public decimal Amount => Quantity * UnitPrice;
}

/// <summary>One add-on the shopper looked at, the chance the model gave it, and what they did.</summary>
/// <param name="View">The cart view (1-based) whose page showed the offer.</param>
/// <param name="Shown">How many add-ons that page showed.</param>
public sealed record ConsideredOffer(int View, int Shown, string Sku, string VariantId, decimal Price, decimal CartValue, bool Wanted, bool NeedsDecision, double Probability, bool Accepted, string Reason, string VariantReason);

/// <summary>A cart page that showed the module: the add-ons as rendered, at the cart value of that moment.</summary>
public sealed record CartPage(int View, decimal CartValue, IReadOnlyList<RecommendedAddOn> AddOns);

/// <summary>
/// One shopper's session as a state machine, pure: <see cref="Next"/> says what the shopper does, and after each
/// <see cref="ViewCart"/> the host reports what the cart page showed through <see cref="Shown"/>. Each sku is
/// considered once per session, at its first showing, against the shopper's fixed willingness for it.
/// </summary>
public sealed class ShopperSession
{
    private readonly ShopperBehaviour _behaviour;
    private readonly Func<string, bool> _needsFitDecision;
    private readonly LinkedList<ShopperAction> _pending = new();
    private readonly List<CartLine> _cart = [];
    private readonly List<ConsideredOffer> _considered = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<CartPage> _pages = [];
    private int _additionsDone;
    private bool _awaitingView;
    private double _expectedWidgetRevenue;

    public ShopperSession(SessionPlan plan, ShopperBehaviour behaviour, Func<string, bool>? needsFitDecision = null)
    {
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _behaviour = behaviour ?? throw new ArgumentNullException(nameof(behaviour));
        _needsFitDecision = needsFitDecision ?? (_ => false);
    }

    public SessionPlan Plan { get; }
    public IReadOnlyList<CartLine> Cart => _cart;
    public IReadOnlyList<ConsideredOffer> Considered => _considered;
    /// <summary>The cohort of the first value the storefront read for this cart; null while none was read.</summary>
    public string? Cohort { get; private set; }
    public int Views { get; private set; }
    /// <summary>Views for which the storefront found no value for the cart, or only one older than the view.</summary>
    public int MissedViews { get; private set; }
    /// <summary>The cart pages that showed at least one add-on, in order.</summary>
    public IReadOnlyList<CartPage> Pages => _pages;
    public bool Finished { get; private set; }
    public bool Ordered { get; private set; }
    public decimal CartValue => _cart.Sum(l => l.Amount);
    /// <summary>Revenue of widget-added lines in the placed order (zero for an abandoned cart).</summary>
    public decimal WidgetRevenue => Ordered ? _cart.Where(l => l.Source == EventSources.CrossSellWidget).Sum(l => l.Amount) : 0m;

    /// <summary>
    /// The model's expected widget revenue of this session: the sum of acceptance probability times price over every
    /// offer considered, counted when the session ends in an order. Averaged over treatment sessions it is the true
    /// incremental revenue per session that the holdout comparison estimates (the model makes add-ons purely additive).
    /// </summary>
    public double ExpectedWidgetRevenue => Ordered ? _expectedWidgetRevenue : 0;

    public ShopperAction Next()
    {
        if (_awaitingView) throw new InvalidOperationException("report what the cart page showed (Shown) before asking for the next action");
        if (Finished) throw new InvalidOperationException("the session has ended");
        ShopperAction action;
        if (_pending.First is { } first)
        {
            _pending.RemoveFirst();
            action = first.Value;
        }
        else if (_additionsDone < Plan.AdditionsBeforeLeaving)
        {
            var line = Plan.Additions[_additionsDone++];
            action = new AddToCart(new CartLine(line.Sku, line.VariantId, 1, line.UnitPrice, EventSources.Simulator));
            _pending.AddFirst(new ViewCart());
        }
        else if (Plan.ChecksOut)
        {
            Finished = Ordered = true;
            return new PlaceOrder(_cart.ToArray());
        }
        else
        {
            Finished = true;
            return new LeaveCart();
        }

        switch (action)
        {
            case AddToCart add:
                _cart.Add(add.Line);
                break;
            case ViewCart:
                _awaitingView = true;
                Views++;
                break;
        }
        return action;
    }

    /// <summary>
    /// What the cart page showed after the last <see cref="ViewCart"/>: the value read from the cart's key, or null
    /// when there was none (or <paramref name="fresh"/> is false: it answered an older cart event). The storefront
    /// renders <see cref="CartRecommendation.AddOns"/> as it is; the shopper skips items already in the cart.
    /// </summary>
    public IReadOnlyList<ConsideredOffer> Shown(CartRecommendation? value, bool fresh = true)
    {
        if (!_awaitingView) throw new InvalidOperationException("Shown answers a ViewCart action");
        _awaitingView = false;
        if (value is null || !fresh) MissedViews++;
        if (value is null) return [];
        Cohort ??= value.Cohort;
        var shown = value.AddOns;
        var cartValue = CartValue;
        if (shown.Count > 0) _pages.Add(new CartPage(Views, cartValue, shown));
        var decided = new List<ConsideredOffer>();
        foreach (var addOn in shown)
        {
            if (_cart.Any(l => l.Sku == addOn.Sku) || !_seen.Add(addOn.Sku)) continue;
            var wanted = Plan.HeldBack.FirstOrDefault(l => l.Sku == addOn.Sku);
            var wrongVariant = wanted?.VariantId is { } wantedVariant && addOn.AddToCart.VariantId != wantedVariant;
            var needsDecision = _needsFitDecision(addOn.Sku) || wrongVariant;
            var p = _behaviour.AcceptanceProbability(new AddOnOffer(addOn.Sku, addOn.Price, cartValue, shown.Count, wanted is not null, needsDecision));
            var accepted = Plan.WillingnessFor(addOn.Sku) < p;
            _expectedWidgetRevenue += p * (double)(addOn.Price * addOn.AddToCart.Quantity);
            decided.Add(new ConsideredOffer(Views, shown.Count, addOn.Sku, addOn.AddToCart.VariantId, addOn.Price, cartValue, wanted is not null, needsDecision, p, accepted, addOn.Reason, addOn.VariantReason));
        }
        _considered.AddRange(decided);
        var accepts = decided.Where(d => d.Accepted).ToList();
        if (accepts.Count > 0)
        {
            // One click each, with the variant the module preselected; then the cart page again.
            _pending.AddFirst(new ViewCart());
            foreach (var d in Enumerable.Reverse(accepts))
            {
                var addOn = shown.First(a => a.Sku == d.Sku);
                _pending.AddFirst(new AddToCart(new CartLine(addOn.Sku, addOn.AddToCart.VariantId, addOn.AddToCart.Quantity, addOn.Price, EventSources.CrossSellWidget)));
            }
        }
        return decided;
    }
}
