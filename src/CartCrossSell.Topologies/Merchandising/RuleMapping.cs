using System.Text.RegularExpressions;
using CartCrossSell.Contracts;
using CartCrossSell.Engine.Merchandising;

namespace CartCrossSell.Topologies.Merchandising;

/// <summary>From the <c>merchandising-rule</c> contract to the engine's rule (the record must have passed its validation).</summary>
public static class RuleMapping
{
    public static MerchandisingRule ToEngineRule(this MerchandisingRuleRecord r) => new()
    {
        Id = r.Id,
        Kind = r.Kind switch
        {
            MerchandisingRuleKind.Block => RuleKind.Block,
            MerchandisingRuleKind.Pin => RuleKind.Pin,
            MerchandisingRuleKind.Boost => RuleKind.Boost,
            MerchandisingRuleKind.Bury => RuleKind.Bury,
            MerchandisingRuleKind.Markets => RuleKind.Markets,
            MerchandisingRuleKind.Limits => RuleKind.Limits,
            _ => throw new ArgumentOutOfRangeException(nameof(r), r.Kind, "unknown merchandising rule kind"),
        },
        Skus = Set(r.Skus),
        Categories = Set(r.Categories),
        TitlePattern = r.TitlePattern is null ? null : new Regex(r.TitlePattern, ContractValidation.TitlePatternOptions),
        TriggerSkus = Set(r.Trigger?.Skus),
        TriggerCategories = Set(r.Trigger?.Categories),
        PinSku = r.Sku,
        Reason = r.Reason,
        Factor = r.Factor ?? 1,
        Markets = Set(r.Markets),
        MaxPrice = r.MaxPrice ?? new Dictionary<string, decimal>(),
        ValidFrom = r.ValidFrom,
        ValidTo = r.ValidTo,
    };

    /// <summary>A rule set from validated records (a rules file, the topic).</summary>
    public static MerchandisingRuleSet ToRuleSet(this IEnumerable<MerchandisingRuleRecord> records) => new(records.Select(ToEngineRule));

    private static HashSet<string> Set(IReadOnlyList<string>? values) => new(values ?? [], StringComparer.Ordinal);
}
