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

    public static IReadOnlyList<string> Validate(CartEvent e)
    {
        var errors = new List<string>();
        SchemaVersion(e.SchemaVersion, errors);
        Id(e.EventId, "eventId", errors);
        Id(e.CartId, "cartId", errors);
        Id(e.SessionId, "sessionId", errors);
        if (e.VisitorId is not null) Id(e.VisitorId, "visitorId", errors);
        Currency(e.Currency, errors);
        if (string.IsNullOrWhiteSpace(e.Source)) errors.Add("source must not be empty");
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
        if (e.Attributes is { Count: > 32 }) errors.Add("attributes must have at most 32 entries");
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
            }
        }
        return errors;
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
        if (value is null || value.Length != 3 || !value.All(char.IsAsciiLetterUpper))
            errors.Add($"currency must be a three-letter ISO 4217 code, was '{value}'");
    }
}
