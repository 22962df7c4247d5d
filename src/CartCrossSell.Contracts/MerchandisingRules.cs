using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>What a merchandising rule does (docs/merchandising.md).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MerchandisingRuleKind>))]
public enum MerchandisingRuleKind
{
    [JsonStringEnumMemberName("block")] Block,
    [JsonStringEnumMemberName("pin")] Pin,
    [JsonStringEnumMemberName("boost")] Boost,
    [JsonStringEnumMemberName("bury")] Bury,
    [JsonStringEnumMemberName("markets")] Markets,
    [JsonStringEnumMemberName("limits")] Limits,
}

/// <summary>
/// One merchandising rule (schema <c>schemas/merchandising-rule.schema.json</c>), keyed by <see cref="Id"/> on the
/// compacted <c>merchandising-rules</c> topic: the latest record per id is the rule, a tombstone deletes it. Which
/// fields a rule takes depends on its kind (<see cref="ContractValidation.Validate(MerchandisingRuleRecord)"/>).
/// </summary>
public sealed record MerchandisingRuleRecord
{
    public int SchemaVersion { get; set; } = 1;
    /// <summary>Letters, digits, '.', '_' and '-': the Kafka key and what <c>appliedRules</c> shows.</summary>
    public required string Id { get; init; }
    public required MerchandisingRuleKind Kind { get; init; }
    /// <summary>block, boost, bury, markets: the skus the rule acts on.</summary>
    public IReadOnlyList<string>? Skus { get; init; }
    /// <summary>block, boost, bury, markets: categories at any level of an item's path.</summary>
    public IReadOnlyList<string>? Categories { get; init; }
    /// <summary>block: a .NET regular expression matched against titles, case-insensitive.</summary>
    public string? TitlePattern { get; init; }
    /// <summary>pin: the cart skus or categories that trigger it.</summary>
    public MerchandisingTrigger? Trigger { get; init; }
    /// <summary>pin: the item put first.</summary>
    public string? Sku { get; init; }
    /// <summary>pin: the reason shown with the item (default: "picked to go with {cart item}").</summary>
    public string? Reason { get; init; }
    /// <summary>boost: above 1, at most 10; bury: at least 0.01, below 1.</summary>
    public double? Factor { get; init; }
    /// <summary>markets: ISO 4217 currency codes and ISO 3166-1 alpha-2 country codes where the items are sold.</summary>
    public IReadOnlyList<string>? Markets { get; init; }
    /// <summary>limits: the highest add-on price per currency code.</summary>
    public IReadOnlyDictionary<string, decimal>? MaxPrice { get; init; }
    /// <summary>Active from this time (inclusive); default: always. With an offset (<see cref="OffsetDateTimeConverter"/>).</summary>
    [JsonConverter(typeof(OffsetDateTimeConverter))]
    public DateTimeOffset? ValidFrom { get; init; }
    /// <summary>Active until this time (exclusive); default: always. With an offset.</summary>
    [JsonConverter(typeof(OffsetDateTimeConverter))]
    public DateTimeOffset? ValidTo { get; init; }
    /// <summary>Free text for the merchandisers; the engine ignores it.</summary>
    public string? Note { get; init; }
}

/// <summary>The cart content that triggers a pin: any of the skus, or an item in any of the categories (any level).</summary>
public sealed record MerchandisingTrigger
{
    public IReadOnlyList<string>? Skus { get; init; }
    public IReadOnlyList<string>? Categories { get; init; }
}
