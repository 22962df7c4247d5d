namespace CartCrossSell.Contracts;

/// <summary>
/// The rules of the JSON Schemas in <c>schemas/</c>, checked on the typed event after parsing, so the stream can
/// give a dead letter a precise reason. Contract tests keep the two in agreement on valid and invalid samples.
/// </summary>
public static class ContractValidation
{
    public const int MaxIdLength = 128;
    public const int MaxQuantity = 10_000;
    public const decimal MaxUnitPrice = 1_000_000m;
    /// <summary>The cart-page module shows at most three add-ons, so an impression names at most three.</summary>
    public const int MaxImpressionSkus = 3;

    /// <summary>Variant attributes one cart event may carry (<c>colour</c>, <c>size</c>, ...).</summary>
    public const int MaxAttributes = 32;

    /// <summary>
    /// Longest attribute name and value. A cart line keeps its attributes in the cart's one state record, so their
    /// length times <see cref="MaxAttributes"/> times the cart's lines is what that record can grow to; names are words
    /// (<c>colour</c>), values short labels (<c>navy blue</c>, <c>EU 42</c>).
    /// </summary>
    public const int MaxAttributeNameLength = 64, MaxAttributeValueLength = 128;

    public static IReadOnlyList<string> Validate(CartEvent e)
    {
        var errors = new List<string>();
        SchemaVersion(e.SchemaVersion, errors);
        Id(e.EventId, "eventId", errors);
        Id(e.CartId, "cartId", errors);
        Id(e.SessionId, "sessionId", errors);
        if (e.VisitorId is not null) Id(e.VisitorId, "visitorId", errors);
        Currency(e.Currency, errors);
        if (e.Country is { } country && !IsCountryCode(country))
            errors.Add($"country must be a two-letter ISO 3166-1 code, was '{country}'");
        // Both are kept with the cart line in the cart's state record: unbounded, a few events would make it too large to log.
        if (e.VariantId is not null) Id(e.VariantId, "variantId", errors);
        Id(e.Source, "source", errors);
        switch (e.Type)
        {
            case CartEventType.ItemAdded:
                Id(e.Sku, "sku", errors);
                Quantity(e.Quantity, "quantity", errors, allowZero: false);
                Price(e.UnitPrice, "unitPrice", errors);
                break;
            case CartEventType.QuantityChanged:
                Id(e.Sku, "sku", errors);
                Quantity(e.Quantity, "quantity", errors, allowZero: true);
                break;
            case CartEventType.ItemRemoved:
                Id(e.Sku, "sku", errors);
                break;
            case CartEventType.CartViewed:
            case CartEventType.CartCleared:
                break;
            default:
                errors.Add($"type '{e.Type}' is not a cart event type");
                break;
        }
        Attributes(e.Attributes, errors);
        return errors;
    }

    public static IReadOnlyList<string> Validate(OrderCompleted e)
    {
        var errors = new List<string>();
        SchemaVersion(e.SchemaVersion, errors);
        Id(e.EventId, "eventId", errors);
        Id(e.OrderId, "orderId", errors);
        if (e.CartId is not null) Id(e.CartId, "cartId", errors);
        if (e.SessionId is not null) Id(e.SessionId, "sessionId", errors);
        if (e.VisitorId is not null) Id(e.VisitorId, "visitorId", errors);
        Currency(e.Currency, errors);
        if (e.Lines is null || e.Lines.Count == 0) errors.Add("lines must hold at least one line");
        else
        {
            for (var i = 0; i < e.Lines.Count; i++)
            {
                var line = e.Lines[i];
                if (line is null) { errors.Add($"lines[{i}] must not be null"); continue; }
                Id(line.Sku, $"lines[{i}].sku", errors);
                Quantity(line.Quantity, $"lines[{i}].quantity", errors, allowZero: false);
                Price(line.UnitPrice, $"lines[{i}].unitPrice", errors);
                // As a cart event's: the source travels into the session's log of the outcomes group.
                if (line.VariantId is not null) Id(line.VariantId, $"lines[{i}].variantId", errors);
                Id(line.Source, $"lines[{i}].source", errors);
            }
        }
        return errors;
    }

    /// <summary>
    /// Why <paramref name="product"/> may not stand under <paramref name="key"/> on the sku-keyed <c>catalog</c> topic
    /// (null: it may): under another product's key it would replace that product, its title, price and variants served
    /// as the other's.
    /// </summary>
    public static string? KeyMismatch(string key, ProductUpserted product) =>
        string.Equals(key, product.Sku, StringComparison.Ordinal) ? null : $"the key is not the product's sku '{product.Sku}'";

    /// <summary>
    /// Why a learned row may not stand under <paramref name="key"/> on <c>item-neighbors</c> (null: it may): under
    /// another row's key it would replace that row; a weight that is not a finite, non-negative number (the learner
    /// writes none, but anyone with access to the topic can) would make every score it touches NaN or infinite, and a
    /// non-finite score cannot be written to Redis as JSON.
    /// </summary>
    public static string? Refuse(string key, NeighborRow row)
    {
        if (!string.Equals(key, row.RowKey, StringComparison.Ordinal)) return $"the key is not the row's rowKey '{row.RowKey}'";
        if (!double.IsFinite(row.Weight) || row.Weight < 0) return $"weight must be a finite number not below 0 (was {row.Weight})";
        if (row.Neighbors is null) return "neighbors must be an array";
        foreach (var n in row.Neighbors)
        {
            if (n is null || string.IsNullOrEmpty(n.Key)) return "every neighbour needs a key";
            if (!double.IsFinite(n.PairWeight) || n.PairWeight < 0)
                return $"the pair weight of '{n.Key}' must be a finite number not below 0 (was {n.PairWeight})";
        }
        return null;
    }

    public static IReadOnlyList<string> Validate(ProductUpserted e)
    {
        var errors = new List<string>();
        SchemaVersion(e.SchemaVersion, errors);
        Id(e.Sku, "sku", errors);
        if (string.IsNullOrWhiteSpace(e.Title)) errors.Add("title must not be empty");
        if (e.CategoryPath is null || e.CategoryPath.Count == 0 || e.CategoryPath.Any(string.IsNullOrWhiteSpace))
            errors.Add("categoryPath must hold at least one non-empty category");
        Price(e.Price, "price", errors);
        Currency(e.Currency, errors);
        if (e.UnitCost is < 0) errors.Add("unitCost must not be negative");
        if (e.MarginRate is < 0 or > 1) errors.Add("marginRate must be between 0 and 1");
        if (e.Variants is null) errors.Add("variants must be an array");
        else
            for (var i = 0; i < e.Variants.Count; i++)
                Id(e.Variants[i]?.VariantId, $"variants[{i}].variantId", errors);
        return errors;
    }

    /// <summary>Largest number of skus, categories or markets one rule may list.</summary>
    public const int MaxRuleEntries = 10_000;
    public const double MinRuleFactor = 0.01, MaxRuleFactor = 10;

    /// <summary>
    /// A merchandising rule: every error names the field (<c>factor</c>, <c>trigger.skus[2]</c>). Fields that do not
    /// apply to the rule's kind are errors too, so a misplaced field is never silently ignored.
    /// </summary>
    public static IReadOnlyList<string> Validate(MerchandisingRuleRecord r)
    {
        var errors = new List<string>();
        SchemaVersion(r.SchemaVersion, errors);
        Id(r.Id, "id", errors);
        if (!string.IsNullOrWhiteSpace(r.Id) && !r.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            errors.Add($"id may hold only letters, digits, '.', '_' and '-', was '{r.Id}'");
        var kind = r.Kind.ToString().ToLowerInvariant();
        var scoped = r.Kind is MerchandisingRuleKind.Block or MerchandisingRuleKind.Boost or MerchandisingRuleKind.Bury or MerchandisingRuleKind.Markets;
        void NotFor(bool present, string field)
        {
            if (present) errors.Add($"{field} does not apply to a {kind} rule");
        }
        NotFor(!scoped && r.Skus is not null, "skus");
        NotFor(!scoped && r.Categories is not null, "categories");
        NotFor(r.Kind != MerchandisingRuleKind.Block && r.TitlePattern is not null, "titlePattern");
        NotFor(r.Kind != MerchandisingRuleKind.Pin && r.Trigger is not null, "trigger");
        NotFor(r.Kind != MerchandisingRuleKind.Pin && r.Sku is not null, "sku");
        NotFor(r.Kind != MerchandisingRuleKind.Pin && r.Reason is not null, "reason");
        NotFor(r.Kind is not (MerchandisingRuleKind.Boost or MerchandisingRuleKind.Bury) && r.Factor is not null, "factor");
        NotFor(r.Kind != MerchandisingRuleKind.Markets && r.Markets is not null, "markets");
        NotFor(r.Kind != MerchandisingRuleKind.Limits && r.MaxPrice is not null, "maxPrice");
        Ids(r.Skus, "skus", errors);
        Ids(r.Categories, "categories", errors);
        switch (r.Kind)
        {
            case MerchandisingRuleKind.Block:
                if (r.Skus is not { Count: > 0 } && r.Categories is not { Count: > 0 } && r.TitlePattern is null)
                    errors.Add("a block rule needs skus, categories or titlePattern");
                if (r.TitlePattern is { } pattern) TitlePattern(pattern, errors);
                break;
            case MerchandisingRuleKind.Pin:
                Id(r.Sku, "sku", errors);
                if (r.Trigger is null || (r.Trigger.Skus is not { Count: > 0 } && r.Trigger.Categories is not { Count: > 0 }))
                    errors.Add("trigger needs skus or categories");
                Ids(r.Trigger?.Skus, "trigger.skus", errors);
                Ids(r.Trigger?.Categories, "trigger.categories", errors);
                if (r.Reason is { } reason && (string.IsNullOrWhiteSpace(reason) || reason.Length > 200)) errors.Add("reason must be 1 to 200 characters");
                break;
            case MerchandisingRuleKind.Boost or MerchandisingRuleKind.Bury:
                if (r.Skus is not { Count: > 0 } && r.Categories is not { Count: > 0 }) errors.Add($"a {kind} rule needs skus or categories");
                if (r.Factor is not { } factor) errors.Add("factor is required");
                else if (r.Kind == MerchandisingRuleKind.Boost && factor is not (> 1 and <= MaxRuleFactor))
                    errors.Add($"factor of a boost must be above 1 and at most {MaxRuleFactor}, was {factor} (a factor below 1 is a bury)");
                else if (r.Kind == MerchandisingRuleKind.Bury && factor is not (>= MinRuleFactor and < 1))
                    errors.Add($"factor of a bury must be at least {MinRuleFactor} and below 1, was {factor} (to never show an item, block it)");
                break;
            case MerchandisingRuleKind.Markets:
                if (r.Skus is not { Count: > 0 } && r.Categories is not { Count: > 0 }) errors.Add("a markets rule needs skus or categories");
                if (r.Markets is not { Count: > 0 }) errors.Add("markets needs at least one currency or country code");
                else
                    for (var i = 0; i < r.Markets.Count; i++)
                        if (!IsCountryCode(r.Markets[i]) && !IsCurrencyCode(r.Markets[i]))
                            errors.Add($"markets[{i}] must be a country code (two upper-case letters, ISO 3166-1) or a currency code (three, ISO 4217), was '{r.Markets[i]}'");
                break;
            case MerchandisingRuleKind.Limits:
                if (r.MaxPrice is not { Count: > 0 }) errors.Add("maxPrice needs at least one currency");
                else
                    foreach (var (currency, max) in r.MaxPrice)
                    {
                        if (!IsCurrencyCode(currency))
                            errors.Add($"maxPrice: '{currency}' is not a three-letter ISO 4217 code");
                        if (max <= 0 || max > MaxUnitPrice) errors.Add($"maxPrice.{currency} must be above 0 and at most {MaxUnitPrice}, was {max}");
                    }
                break;
            default:
                errors.Add($"kind '{r.Kind}' is not a merchandising rule kind");
                break;
        }
        if (r.ValidFrom is { } from && r.ValidTo is { } to && from >= to) errors.Add($"validFrom ({from:O}) must be before validTo ({to:O})");
        if (r.Note is { Length: > 1000 }) errors.Add("note must be at most 1000 characters");
        return errors;
    }

    private static void Ids(IReadOnlyList<string>? values, string name, List<string> errors)
    {
        if (values is null) return;
        if (values.Count == 0) errors.Add($"{name} must not be empty (leave it out instead)");
        else if (values.Count > MaxRuleEntries) errors.Add($"{name} must have at most {MaxRuleEntries} entries");
        else
            for (var i = 0; i < values.Count; i++)
                Id(values[i], $"{name}[{i}]", errors);
    }

    private static void TitlePattern(string pattern, List<string> errors)
    {
        if (pattern.Length is 0 or > 500)
        {
            errors.Add("titlePattern must be 1 to 500 characters");
            return;
        }
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, TitlePatternOptions);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) // linear-time matching refuses lookarounds, backreferences, atomic groups
        {
            errors.Add($"titlePattern is not a regular expression the engine can run: {e.Message}");
        }
    }

    /// <summary>How a title pattern is compiled: case-insensitive and in linear time (no backtracking).</summary>
    public const System.Text.RegularExpressions.RegexOptions TitlePatternOptions =
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant
        | System.Text.RegularExpressions.RegexOptions.NonBacktracking;

    public static IReadOnlyList<string> Validate(CrossSellImpression e)
    {
        var errors = new List<string>();
        SchemaVersion(e.SchemaVersion, errors);
        Id(e.EventId, "eventId", errors);
        Id(e.CartId, "cartId", errors);
        if (e.SessionId is not null) Id(e.SessionId, "sessionId", errors);
        if (e.VisitorId is not null) Id(e.VisitorId, "visitorId", errors);
        if (e.ValueVersion < 0) errors.Add($"valueVersion must not be negative, was {e.ValueVersion}");
        Id(e.ModelVersion, "modelVersion", errors);
        if (e.Skus is null || e.Skus.Count == 0) errors.Add("skus must hold at least one sku");
        else if (e.Skus.Count > MaxImpressionSkus) errors.Add($"skus must hold at most {MaxImpressionSkus} skus, held {e.Skus.Count}");
        else
        {
            for (var i = 0; i < e.Skus.Count; i++) Id(e.Skus[i], $"skus[{i}]", errors);
            if (e.Skus.Where(s => s is not null).Distinct(StringComparer.Ordinal).Count() != e.Skus.Count(s => s is not null))
                errors.Add("skus must not repeat a sku");
        }
        return errors;
    }

    private static void SchemaVersion(int version, List<string> errors)
    {
        if (version != 1) errors.Add($"schemaVersion {version} is not supported (expected 1)");
    }

    private static void Id(string? value, string name, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value)) errors.Add($"{name} is required");
        else if (value.Length > MaxIdLength) errors.Add($"{name} is longer than {MaxIdLength} characters");
    }

    private static void Attributes(IReadOnlyDictionary<string, string>? attributes, List<string> errors)
    {
        if (attributes is null) return;
        if (attributes.Count > MaxAttributes)
        {
            errors.Add($"attributes must have at most {MaxAttributes} entries, had {attributes.Count}");
            return;
        }
        foreach (var (name, value) in attributes)
        {
            if (string.IsNullOrWhiteSpace(name)) errors.Add("attributes must not have a blank name");
            else if (name.Length > MaxAttributeNameLength)
                errors.Add($"attributes has a name longer than {MaxAttributeNameLength} characters ('{name[..MaxAttributeNameLength]}...')");
            else if (value is null) errors.Add($"attributes.{name} must be a string, was null");
            else if (value.Length > MaxAttributeValueLength) errors.Add($"attributes.{name} is longer than {MaxAttributeValueLength} characters");
        }
    }

    private static void Quantity(int? value, string name, List<string> errors, bool allowZero)
    {
        if (value is null) errors.Add($"{name} is required");
        else if (value < 0 || (!allowZero && value == 0)) errors.Add($"{name} must be {(allowZero ? "zero or more" : "positive")}, was {value}");
        else if (value > MaxQuantity) errors.Add($"{name} must be at most {MaxQuantity}, was {value}");
    }

    private static void Price(decimal? value, string name, List<string> errors)
    {
        if (value is null) errors.Add($"{name} is required");
        else if (value < 0) errors.Add($"{name} must not be negative, was {value}");
        else if (value > MaxUnitPrice) errors.Add($"{name} must be at most {MaxUnitPrice}, was {value}");
    }

    private static void Currency(string? value, List<string> errors)
    {
        if (!IsCurrencyCode(value))
            errors.Add($"currency must be a three-letter ISO 4217 code, was '{value}'");
    }

    /// <summary>Three upper-case ASCII letters: the shape of an ISO 4217 code, as every topic carries it.</summary>
    public static bool IsCurrencyCode(string? value) => value is { Length: 3 } && value.All(char.IsAsciiLetterUpper);

    /// <summary>Two upper-case ASCII letters: the shape of an ISO 3166-1 alpha-2 code.</summary>
    public static bool IsCountryCode(string? value) => value is { Length: 2 } && value.All(char.IsAsciiLetterUpper);
}
