namespace CartCrossSell.Engine.Merchandising;

/// <summary>What a merchandising rule does (docs/merchandising.md).</summary>
public enum RuleKind
{
    /// <summary>Never show the skus, the items of the categories (any level of the path) or the titles matching a pattern.</summary>
    Block,
    /// <summary>When the cart holds a trigger (sku or category), put one item first, if it passes the cart rules.</summary>
    Pin,
    /// <summary>Multiply the score of the skus or categories by a factor above 1.</summary>
    Boost,
    /// <summary>Multiply the score of the skus or categories by a factor below 1.</summary>
    Bury,
    /// <summary>Offer the skus or categories only in carts of the listed markets (currency or country codes).</summary>
    Markets,
    /// <summary>Never an add-on priced above a maximum, per currency, on top of the share-of-cart cap.</summary>
    Limits,
}

/// <summary>
/// One merchandising rule as the engine applies it. Which fields matter depends on <see cref="Kind"/>; the contract
/// (<c>merchandising-rule</c>) and its validation say which are required. A rule is active from
/// <see cref="ValidFrom"/> (inclusive) until <see cref="ValidTo"/> (exclusive); without them, always.
/// </summary>
public sealed record MerchandisingRule
{
    /// <summary>Smallest and largest factors of boost and bury: a bury may not remove an item (block does that), a boost may not swamp relevance.</summary>
    public const double MinFactor = 0.01, MaxFactor = 10;

    public required string Id { get; init; }
    public required RuleKind Kind { get; init; }

    /// <summary>Block, boost, bury, markets: the skus the rule acts on.</summary>
    public IReadOnlySet<string> Skus { get; init; } = Empty;

    /// <summary>Block, boost, bury, markets: categories at any level of an item's path.</summary>
    public IReadOnlySet<string> Categories { get; init; } = Empty;

    /// <summary>Block: a regular expression matched against the title (case-insensitive, linear time).</summary>
    public System.Text.RegularExpressions.Regex? TitlePattern { get; init; }

    /// <summary>Pin: cart skus that trigger it.</summary>
    public IReadOnlySet<string> TriggerSkus { get; init; } = Empty;

    /// <summary>Pin: cart categories (any level of a cart item's path) that trigger it.</summary>
    public IReadOnlySet<string> TriggerCategories { get; init; } = Empty;

    /// <summary>Pin: the item put first.</summary>
    public string? PinSku { get; init; }

    /// <summary>Pin: the reason shown with the pinned item; default "picked to go with {trigger}".</summary>
    public string? Reason { get; init; }

    /// <summary>Boost (above 1) and bury (below 1): the score multiplier.</summary>
    public double Factor { get; init; } = 1;

    /// <summary>Markets: currency codes (three letters) and country codes (two letters) the items are sold in.</summary>
    public IReadOnlySet<string> Markets { get; init; } = Empty;

    /// <summary>Limits: the highest add-on price per currency code.</summary>
    public IReadOnlyDictionary<string, decimal> MaxPrice { get; init; } = new Dictionary<string, decimal>();

    public DateTimeOffset? ValidFrom { get; init; }
    public DateTimeOffset? ValidTo { get; init; }

    public bool IsActiveAt(DateTimeOffset now) => (ValidFrom is not { } from || now >= from) && (ValidTo is not { } to || now < to);

    /// <summary>Whether the rule's skus or categories (any level of the path) cover the item.</summary>
    public bool Covers(string sku, CatalogItem? item)
    {
        if (Skus.Contains(sku)) return true;
        if (item is null || Categories.Count == 0) return false;
        foreach (var category in item.CategoryPath)
            if (Categories.Contains(category)) return true;
        return false;
    }

    /// <summary>Refuses a rule the engine cannot apply (the contract's validation gives the operator the detailed errors).</summary>
    public void EnsureApplicable()
    {
        if (string.IsNullOrWhiteSpace(Id)) throw new ArgumentException("a merchandising rule needs an id");
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"rule '{Id}': unknown kind {Kind}");
        if (Kind == RuleKind.Boost && Factor is not (> 1 and <= MaxFactor))
            throw new ArgumentOutOfRangeException(nameof(Factor), Factor, $"rule '{Id}': a boost factor must be above 1 and at most {MaxFactor}");
        if (Kind == RuleKind.Bury && Factor is not (>= MinFactor and < 1))
            throw new ArgumentOutOfRangeException(nameof(Factor), Factor, $"rule '{Id}': a bury factor must be at least {MinFactor} and below 1");
        if (Kind == RuleKind.Pin && string.IsNullOrWhiteSpace(PinSku)) throw new ArgumentException($"rule '{Id}': a pin needs the sku it pins");
        if (ValidFrom is { } from && ValidTo is { } to && from >= to) throw new ArgumentException($"rule '{Id}': validFrom must be before validTo");
    }

    private static readonly IReadOnlySet<string> Empty = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>An immutable set of rules with distinct ids, in id order (the order pins are applied in).</summary>
public sealed class MerchandisingRuleSet
{
    public static readonly MerchandisingRuleSet None = new([]);

    public MerchandisingRuleSet(IEnumerable<MerchandisingRule> rules)
    {
        var list = rules.OrderBy(r => r.Id, StringComparer.Ordinal).ToArray();
        for (var i = 0; i < list.Length; i++)
        {
            list[i].EnsureApplicable();
            if (i > 0 && list[i].Id == list[i - 1].Id) throw new ArgumentException($"rule id '{list[i].Id}' appears twice");
        }
        Rules = list;
    }

    public IReadOnlyList<MerchandisingRule> Rules { get; }

    public int Count => Rules.Count;
}
