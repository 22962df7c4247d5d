using System.Globalization;

namespace CartCrossSell.Simulation;

/// <summary>A line of a real basket (an order from the history), as the simulated shopper would put it in the cart.</summary>
public sealed record BasketLine(string Sku, string? VariantId, decimal UnitPrice);

/// <summary>A real basket the simulator replays: its lines in the order the shopper added them.</summary>
public sealed record ShopperBasket(string SourceOrderId, IReadOnlyList<BasketLine> Lines);

/// <summary>
/// Everything about one simulated session that does not depend on what the module shows: identities, the lines added
/// by hand in order, the held-back lines, whether it ends in an order and after how many additions it is abandoned.
/// A pure function of (seed, session number, basket, behaviour), so a rerun with the same seed replays it exactly.
/// </summary>
public sealed record SessionPlan
{
    public required long Seed { get; init; }
    public required int Number { get; init; }
    public required string SessionId { get; init; }
    public required string CartId { get; init; }
    public required string VisitorId { get; init; }
    public required string OrderId { get; init; }
    public required ShopperBasket Basket { get; init; }
    /// <summary>The lines the shopper adds without help, in order (the first basket line is never held back).</summary>
    public required IReadOnlyList<BasketLine> Additions { get; init; }
    /// <summary>The lines the shopper would add only when the module offers them.</summary>
    public required IReadOnlyList<BasketLine> HeldBack { get; init; }
    public required bool ChecksOut { get; init; }
    /// <summary>For an abandoned session, how many of <see cref="Additions"/> happen before the shopper leaves.</summary>
    public required int AdditionsBeforeLeaving { get; init; }

    /// <summary>The shopper's fixed uniform draw for an offered sku (common random numbers: independent of display order).</summary>
    public double WillingnessFor(string sku) => SimulationRandom.Uniform(Seed, Number, "accept:" + sku);
}

/// <summary>Turns baskets into session plans, deterministically for a seed.</summary>
public static class SessionPlanner
{
    /// <summary>
    /// The plan of session <paramref name="number"/>: a basket chosen from <paramref name="baskets"/> by the seed, or,
    /// for a returning visitor who buys again what they bought first (<see cref="ShopperBehaviour.RepeatBasketShare"/>),
    /// the basket of the visitor's first visit.
    /// </summary>
    public static SessionPlan Plan(long seed, int number, IReadOnlyList<ShopperBasket> baskets, ShopperBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        ArgumentNullException.ThrowIfNull(behaviour);
        if (baskets.Count == 0) throw new ArgumentException("at least one basket is needed", nameof(baskets));
        var first = FirstVisit(seed, number, behaviour.ReturningVisitorShare);
        var basketOf = first != number && SimulationRandom.Uniform(seed, number, "repeat-basket") < behaviour.RepeatBasketShare ? first : number;
        var pick = (int)(SimulationRandom.Uniform(seed, basketOf, "basket") * baskets.Count);
        return Plan(seed, number, baskets[Math.Min(pick, baskets.Count - 1)], behaviour, first);
    }

    public static SessionPlan Plan(long seed, int number, ShopperBasket basket, ShopperBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        return Plan(seed, number, basket, behaviour, FirstVisit(seed, number, behaviour.ReturningVisitorShare));
    }

    /// <param name="firstVisit">The session in which this session's visitor first came (<see cref="FirstVisit"/>).</param>
    private static SessionPlan Plan(long seed, int number, ShopperBasket basket, ShopperBehaviour behaviour, int firstVisit)
    {
        ArgumentNullException.ThrowIfNull(basket);
        if (basket.Lines.Count == 0) throw new ArgumentException($"basket {basket.SourceOrderId} has no lines", nameof(basket));
        var additions = new List<BasketLine> { basket.Lines[0] };
        var heldBack = new List<BasketLine>();
        for (var i = 1; i < basket.Lines.Count; i++)
        {
            var line = basket.Lines[i];
            var holdBack = heldBack.Count < behaviour.MaxHeldBack
                           && SimulationRandom.Uniform(seed, number, "hold:" + i.ToString(CultureInfo.InvariantCulture)) < behaviour.HeldBackShare;
            (holdBack ? heldBack : additions).Add(line);
        }
        var checksOut = SimulationRandom.Uniform(seed, number, "checkout") < behaviour.CheckoutRate;
        var leaveAfter = checksOut ? additions.Count : 1 + (int)(SimulationRandom.Uniform(seed, number, "leave") * additions.Count);
        var id = Id(seed, number);
        return new SessionPlan
        {
            Seed = seed, Number = number, Basket = basket,
            SessionId = "sim-session-" + id, CartId = "sim-cart-" + id, VisitorId = "sim-visitor-" + Id(seed, firstVisit),
            OrderId = "sim-order-" + id,
            Additions = additions, HeldBack = heldBack, ChecksOut = checksOut,
            AdditionsBeforeLeaving = Math.Min(leaveAfter, additions.Count),
        };
    }

    /// <summary>
    /// The session in which the visitor of session <paramref name="number"/> first came: a session is a return with
    /// probability <paramref name="returningShare"/>, of the visitor of an earlier session drawn uniformly (itself
    /// perhaps a return), so visitors come back as often as the share says, and the earliest visitors most often.
    /// </summary>
    public static int FirstVisit(long seed, int number, double returningShare)
    {
        var n = number;
        while (n > 0 && SimulationRandom.Uniform(seed, n, "returning") < returningShare)
            n = Math.Min(n - 1, (int)(SimulationRandom.Uniform(seed, n, "returning-from") * n));
        return n;
    }

    private static string Id(long seed, int number) =>
        $"{seed.ToString(CultureInfo.InvariantCulture)}-{number.ToString("D6", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Uniform draws keyed by (seed, session, label): SplitMix64 over an FNV-1a hash, the same on every platform and
/// runtime version, so a draw never depends on how many other draws happened before it.
/// </summary>
public static class SimulationRandom
{
    public static double Uniform(long seed, int session, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var h = 14695981039346656037UL;
        foreach (var ch in label)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        var x = Mix((ulong)seed ^ Mix((ulong)(uint)session + 0x632BE59BD9B4E019UL) ^ h);
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
