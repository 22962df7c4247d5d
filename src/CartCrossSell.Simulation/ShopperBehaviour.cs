namespace CartCrossSell.Simulation;

/// <summary>
/// The simulated shopper's behaviour model (docs/simulation.md). Every number is a knob so a team can test the
/// measurement against the effect they believe in; the defaults are a plausible gift shop, not a measured one.
/// </summary>
public sealed record ShopperBehaviour
{
    /// <summary>Chance that each basket line after the first is held back: an add-on the shopper takes only if offered.</summary>
    public double HeldBackShare { get; init; } = 0.3;

    /// <summary>At most this many lines of one basket are held back.</summary>
    public int MaxHeldBack { get; init; } = 2;

    /// <summary>Chance of taking an offered held-back item when price, choice and variant are all ideal.</summary>
    public double WantedAcceptance { get; init; } = 0.5;

    /// <summary>Chance of taking an offered item the shopper had no plan to buy (the impulse base rate).</summary>
    public double BaseAcceptance { get; init; } = 0.03;

    /// <summary>The price band where an add-on fits best, as a share of the cart value (the seed article's 15-25 %).</summary>
    public double BandLow { get; init; } = 0.15;

    public double BandHigh { get; init; } = 0.25;

    /// <summary>Below the band an add-on draws less attention: its factor falls linearly to this at a price of zero.</summary>
    public double CheapFloor { get; init; } = 0.5;

    /// <summary>Above the band the factor decays as exp(-(share - BandHigh) / ExpensiveDecay), never below 0.05.</summary>
    public double ExpensiveDecay { get; init; } = 0.2;

    /// <summary>Each additional option shown multiplies every option's chance by this (choice overload).</summary>
    public double PerExtraOption { get; init; } = 0.85;

    /// <summary>
    /// Factor for an item that still needs a decision from the shopper: a size or specification the module did not
    /// settle, or (for an item the shopper wanted) a preselected variant that is not the one they wanted.
    /// </summary>
    public double DecisionPenalty { get; init; } = 0.5;

    /// <summary>Chance that a session ends in an order; otherwise the cart is abandoned part-way. Same in both cohorts.</summary>
    public double CheckoutRate { get; init; } = 0.8;

    /// <summary>
    /// Chance that a session is a returning visitor's: the visitor of an earlier session (drawn uniformly among them)
    /// comes back, and so stays in that visitor's cohort. Visitors, not sessions, are the unit of assignment; with
    /// every visitor new (0) the sessions would be the independent draws the measurement must not assume.
    /// </summary>
    public double ReturningVisitorShare { get; init; } = 0.3;

    /// <summary>
    /// Chance that a returning visitor's session replays the basket of the visitor's first visit (a repeat buyer):
    /// one visitor's sessions are then alike in what they cost, as a real shop's are, and a cohort's sessions are not
    /// independent draws, which is what the visitor-robust interval allows for. Every other draw stays the session's own.
    /// </summary>
    public double RepeatBasketShare { get; init; } = 0.5;

    /// <summary>The shopper's chance of adding an offered item (one click, quantity one).</summary>
    public double AcceptanceProbability(AddOnOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var p = offer.Wanted ? WantedAcceptance : BaseAcceptance;
        p *= PriceFit(offer.CartValue > 0 ? (double)(offer.Price / offer.CartValue) : double.PositiveInfinity);
        p *= Math.Pow(PerExtraOption, Math.Max(0, offer.OptionsShown - 1));
        if (offer.NeedsDecision) p *= DecisionPenalty;
        return Math.Clamp(p, 0, 1);
    }

    /// <summary>1 inside the band; rising from <see cref="CheapFloor"/> below it; decaying above it.</summary>
    public double PriceFit(double shareOfCart)
    {
        if (double.IsNaN(shareOfCart) || shareOfCart < 0) return 0;
        if (shareOfCart < BandLow) return CheapFloor + (1 - CheapFloor) * shareOfCart / BandLow;
        if (shareOfCart <= BandHigh) return 1;
        return Math.Max(0.05, Math.Exp(-(shareOfCart - BandHigh) / ExpensiveDecay));
    }

    /// <summary>Throws with the knob's name when a value is outside its range.</summary>
    public void Validate()
    {
        Probability(HeldBackShare, nameof(HeldBackShare));
        Probability(WantedAcceptance, nameof(WantedAcceptance));
        Probability(BaseAcceptance, nameof(BaseAcceptance));
        Probability(CheapFloor, nameof(CheapFloor));
        Probability(PerExtraOption, nameof(PerExtraOption));
        Probability(DecisionPenalty, nameof(DecisionPenalty));
        Probability(CheckoutRate, nameof(CheckoutRate));
        Probability(RepeatBasketShare, nameof(RepeatBasketShare));
        if (!(ReturningVisitorShare >= 0 && ReturningVisitorShare < 1))
            throw new ArgumentOutOfRangeException(nameof(ReturningVisitorShare), ReturningVisitorShare, "must lie between 0 and 1, 1 excluded (someone has to visit first)");
        if (MaxHeldBack < 0) throw new ArgumentOutOfRangeException(nameof(MaxHeldBack), MaxHeldBack, "must not be negative");
        if (!(BandLow > 0 && BandLow < BandHigh)) throw new ArgumentOutOfRangeException(nameof(BandLow), BandLow, $"must be positive and below {nameof(BandHigh)} ({BandHigh})");
        if (!(ExpensiveDecay > 0)) throw new ArgumentOutOfRangeException(nameof(ExpensiveDecay), ExpensiveDecay, "must be positive");
    }

    private static void Probability(double value, string name)
    {
        if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(name, value, "must lie between 0 and 1");
    }
}

/// <summary>One add-on as the shopper sees it on the cart page.</summary>
/// <param name="Wanted">The item is one of the basket's held-back lines (the shopper would take it if offered).</param>
/// <param name="NeedsDecision">The shopper would still have to choose a size, a specification or another variant.</param>
public sealed record AddOnOffer(string Sku, decimal Price, decimal CartValue, int OptionsShown, bool Wanted, bool NeedsDecision);
