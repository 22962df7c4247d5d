namespace CartCrossSell.Engine.Merchandising;

/// <summary>
/// A candidate that passed the cart's hard rules, with its final score (after the ranker's price band, margin and
/// variant factors); <see cref="Index"/> points back into the ranker's own list (reasons, variants).
/// </summary>
public readonly record struct ShortlistItem(string Sku, CatalogItem? Item, double Score, int Index);

/// <summary>An add-on the merchandising stage kept, and the pin rule that put it first (null when ranked).</summary>
public readonly record struct MerchandisedItem(ShortlistItem Candidate, MerchandisingRule? PinnedBy);

/// <summary>The list after the merchandising stage, and the rules that changed it.</summary>
public sealed record MerchandisedList(IReadOnlyList<MerchandisedItem> AddOns, IReadOnlyList<string> AppliedRules);

/// <summary>
/// The ranker's own last step ("few options"): from qualified candidates, best first, the ones it shows in at most
/// <paramref name="slots"/> places (the heuristic's relative score floor, the learned ranker's show threshold).
/// </summary>
public delegate IReadOnlyList<ShortlistItem> ListCut(IReadOnlyList<ShortlistItem> bestFirst, int slots);

/// <summary>
/// The merchandising stage of one cart: it acts on the ranker's shortlist, after the hard cart rules and before the
/// ranker's cut, so it can only remove, re-weigh or reorder what the cart rules allow (docs/merchandising.md):
/// <list type="number">
/// <item>pins whose trigger is in the cart go first, if their item passes the cart rules (the ranker's qualifier) and
/// is not blocked, out of market or over a price limit;</item>
/// <item>block, markets and limits remove candidates;</item>
/// <item>boost and bury multiply scores (the product of every matching rule, kept in [0.01, 10]), and the list is re-sorted;</item>
/// <item>diversity: at most <see cref="DiversityOptions.MaxPerLeafCategory"/> per leaf category, one per family of
/// near-duplicate titles (pins count but are never dropped);</item>
/// <item>the ranker's cut fills the places the pins left.</item>
/// </list>
/// A rule is reported in <see cref="MerchandisedList.AppliedRules"/> when the list differs from what the ranker alone
/// would have shown and the rule acted on an add-on of either list. Pure; one instance per cart and call.
/// </summary>
public sealed class Merchandiser
{
    /// <summary>The ids under which diversity reports that it changed a list.</summary>
    public const string LeafCategoryDiversity = "diversity:leaf-category", NearDuplicateDiversity = "diversity:near-duplicate";

    private readonly Basket _basket;
    private readonly ICatalog _catalog;
    private readonly DiversityOptions _diversity;
    private readonly MerchandisingRule[] _active;
    private HashSet<string>? _cartCategories;

    public Merchandiser(MerchandisingRuleSet rules, DiversityOptions diversity, Basket basket, ICatalog catalog, DateTimeOffset now)
    {
        _basket = basket;
        _catalog = catalog;
        _diversity = diversity;
        _active = rules.Rules.Where(r => r.IsActiveAt(now)).ToArray();
    }

    /// <summary>Rules active at the time of the call (a rule outside its validity window is ignored).</summary>
    public IReadOnlyList<MerchandisingRule> Active => _active;

    /// <param name="shortlist">The qualified candidates with their final scores, in any order.</param>
    /// <param name="qualifyPin">The ranker's hard rules for a pinned sku: null when it must not be shown (in the cart, a substitute, out of stock, over the price cap, no one-click variant).</param>
    public MerchandisedList Apply(IReadOnlyList<ShortlistItem> shortlist, int maxAddOns, ListCut cut, Func<string, ShortlistItem?> qualifyPin)
    {
        var baseline = cut(BestFirst(shortlist), maxAddOns);
        var actions = new List<(string RuleId, string Sku)>();

        var pins = new List<MerchandisedItem>();
        foreach (var rule in _active)
        {
            if (rule.Kind != RuleKind.Pin || pins.Count == maxAddOns || !IsTriggered(rule)) continue;
            var sku = rule.PinSku!;
            if (IsPinned(pins, sku) || qualifyPin(sku) is not { } pinned || !Admits(pinned, actions)) continue;
            pins.Add(new MerchandisedItem(pinned, rule));
            actions.Add((rule.Id, sku));
        }

        var ranked = new List<ShortlistItem>(shortlist.Count);
        foreach (var candidate in shortlist)
        {
            if (IsPinned(pins, candidate.Sku) || !Admits(candidate, actions)) continue;
            ranked.Add(candidate with { Score = candidate.Score * Factor(candidate, actions) });
        }

        var diversity = new ListDiversity(_diversity);
        foreach (var pin in pins) diversity.Keep(pin.Candidate);
        var varied = new List<ShortlistItem>(ranked.Count);
        foreach (var c in BestFirst(ranked))
            if (diversity.TryKeep(c, actions)) varied.Add(c);

        var final = new List<MerchandisedItem>(maxAddOns);
        final.AddRange(pins);
        foreach (var c in cut(varied, maxAddOns - pins.Count)) final.Add(new MerchandisedItem(c, null));

        if (SameSkus(final, baseline)) return new MerchandisedList(final, []);
        var shown = new HashSet<string>(final.Select(a => a.Candidate.Sku).Concat(baseline.Select(b => b.Sku)), StringComparer.Ordinal);
        var applied = actions.Where(a => shown.Contains(a.Sku)).Select(a => a.RuleId).Distinct(StringComparer.Ordinal).ToArray();
        return new MerchandisedList(final, applied);
    }

    /// <summary>The reason shown with a pinned add-on: the rule's own, or the cart item that triggered it.</summary>
    public string PinReason(MerchandisingRule rule)
    {
        if (rule.Reason is { Length: > 0 } reason) return reason;
        foreach (var line in _basket.Lines)
        {
            var item = _catalog.Find(line.Sku);
            if (rule.TriggerSkus.Contains(line.Sku) || (item is not null && item.CategoryPath.Any(rule.TriggerCategories.Contains)))
                return $"picked to go with {(item?.Title ?? line.Sku).ToLowerInvariant()}";
        }
        return "picked for your cart";
    }

    /// <summary>Highest score first; stable: equal scores keep the ranker's order. Runs twice per cart event, so no LINQ.</summary>
    private static List<ShortlistItem> BestFirst(IReadOnlyList<ShortlistItem> items)
    {
        var order = new int[items.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            var byScore = items[b].Score.CompareTo(items[a].Score);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });
        var result = new List<ShortlistItem>(order.Length);
        foreach (var i in order) result.Add(items[i]);
        return result;
    }

    /// <summary>Whether a pin already shows <paramref name="sku"/> (a loop: a lambda here was an allocation per candidate).</summary>
    private static bool IsPinned(List<MerchandisedItem> pins, string sku)
    {
        foreach (var pin in pins)
            if (string.Equals(pin.Candidate.Sku, sku, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>Whether the merchandised list shows exactly the ranker's own list, in its order.</summary>
    private static bool SameSkus(List<MerchandisedItem> final, IReadOnlyList<ShortlistItem> baseline)
    {
        if (final.Count != baseline.Count) return false;
        for (var i = 0; i < final.Count; i++)
            if (!string.Equals(final[i].Candidate.Sku, baseline[i].Sku, StringComparison.Ordinal)) return false;
        return true;
    }

    private bool IsTriggered(MerchandisingRule pin)
    {
        foreach (var sku in _basket.Skus)
            if (pin.TriggerSkus.Contains(sku)) return true;
        if (pin.TriggerCategories.Count == 0) return false;
        _cartCategories ??= _basket.Lines.SelectMany(l => _catalog.Find(l.Sku)?.CategoryPath ?? []).ToHashSet(StringComparer.Ordinal);
        return pin.TriggerCategories.Overlaps(_cartCategories);
    }

    /// <summary>Block, then markets, then limits; the first rule that refuses the candidate is recorded.</summary>
    private bool Admits(ShortlistItem c, List<(string, string)> actions)
    {
        foreach (var rule in _active)
            if (rule.Kind == RuleKind.Block && (rule.Covers(c.Sku, c.Item) || (rule.TitlePattern is { } p && c.Item is { } item && p.IsMatch(item.Title))))
            {
                actions.Add((rule.Id, c.Sku));
                return false;
            }
        MerchandisingRule? outOfMarket = null;
        foreach (var rule in _active)
        {
            if (rule.Kind != RuleKind.Markets || !rule.Covers(c.Sku, c.Item)) continue;
            if (InMarket(rule))
            {
                outOfMarket = null;
                break;
            }
            outOfMarket ??= rule;
        }
        if (outOfMarket is not null)
        {
            actions.Add((outOfMarket.Id, c.Sku));
            return false;
        }
        if (_basket.Currency is { } currency && c.Item is { } priced)
            foreach (var rule in _active)
                if (rule.Kind == RuleKind.Limits && rule.MaxPrice.TryGetValue(currency, out var max) && priced.Price > max)
                {
                    actions.Add((rule.Id, c.Sku));
                    return false;
                }
        return true;
    }

    /// <summary>An item covered by several market rules is offered where any of them allows it.</summary>
    private bool InMarket(MerchandisingRule rule) =>
        (_basket.Currency is { } currency && rule.Markets.Contains(currency)) || (_basket.Country is { } country && rule.Markets.Contains(country));

    private double Factor(ShortlistItem c, List<(string, string)> actions)
    {
        var factor = 1.0;
        foreach (var rule in _active)
        {
            if (rule.Kind is not (RuleKind.Boost or RuleKind.Bury) || !rule.Covers(c.Sku, c.Item)) continue;
            factor *= rule.Factor;
            actions.Add((rule.Id, c.Sku));
        }
        return Math.Clamp(factor, MerchandisingRule.MinFactor, MerchandisingRule.MaxFactor);
    }

    /// <summary>What a list already holds: add-ons per leaf category and the title families.</summary>
    private sealed class ListDiversity(DiversityOptions options)
    {
        // Leaf categories of the kept add-ons with their counts: a handful per list, so a list searched linearly (a
        // dictionary per cart event cost more to build than it saved).
        private readonly List<(string Leaf, int Count)> _perLeaf = [];
        private readonly List<TitleFamily> _families = [];
        private IReadOnlySet<string>? _variantWords;

        /// <summary>
        /// A product's title family, computed once per catalog item (and set of variant words), not at every cart: the
        /// streaming recommender checks the families of its whole shortlist at every event. A changed product is a new
        /// catalog item, so its family is computed again; the table lets go of items the catalog no longer holds.
        /// </summary>
        private TitleFamily FamilyOf(CatalogItem item)
        {
            var words = _variantWords ??= options.LowerCaseVariantWords();
            if (Families.TryGetValue(item, out var known) && ReferenceEquals(known.VariantWords, words)) return known.Family;
            var family = TitleFamily.Of(item.Title, words);
            Families.AddOrUpdate(item, new KnownFamily(words, family));
            return family;
        }

        private sealed record KnownFamily(IReadOnlySet<string> VariantWords, TitleFamily Family);

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CatalogItem, KnownFamily> Families = new();

        private int IndexOfLeaf(string leaf)
        {
            for (var i = 0; i < _perLeaf.Count; i++)
                if (string.Equals(_perLeaf[i].Leaf, leaf, StringComparison.Ordinal)) return i;
            return -1;
        }

        private int KeptIn(string leaf) => IndexOfLeaf(leaf) is var at and >= 0 ? _perLeaf[at].Count : 0;

        public bool TryKeep(ShortlistItem c, List<(string, string)> actions)
        {
            var leaf = c.Item?.LeafCategory;
            if (options.MaxPerLeafCategory > 0 && !string.IsNullOrEmpty(leaf) && KeptIn(leaf) >= options.MaxPerLeafCategory)
            {
                actions.Add((LeafCategoryDiversity, c.Sku));
                return false;
            }
            TitleFamily? family = null;
            if (options.NearDuplicates && c.Item is { } item)
            {
                family = FamilyOf(item);
                foreach (var kept in _families)
                    if (kept.IsNearDuplicateOf(family, options))
                    {
                        actions.Add((NearDuplicateDiversity, c.Sku));
                        return false;
                    }
            }
            Keep(c, family);
            return true;
        }

        /// <param name="family">The item's title family when the caller has it already.</param>
        public void Keep(ShortlistItem c, TitleFamily? family = null)
        {
            if (c.Item is not { } item) return;
            if (!string.IsNullOrEmpty(item.LeafCategory))
            {
                var at = IndexOfLeaf(item.LeafCategory);
                if (at < 0) _perLeaf.Add((item.LeafCategory, 1));
                else _perLeaf[at] = (item.LeafCategory, _perLeaf[at].Count + 1);
            }
            if (options.NearDuplicates) _families.Add(family ?? FamilyOf(item));
        }
    }
}
