using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory;

/// <summary>One cart of a cart file: its id, its items in the order they were added, and its line in the file.</summary>
public sealed record CartFileEntry(string CartId, IReadOnlyList<CartFileItem> Items, int Line = 0);

/// <summary>An item of a cart file; quantity defaults to 1, the variant is optional.</summary>
public sealed record CartFileItem(string Sku, int Quantity, string? VariantId = null);

/// <summary>
/// Reads carts to score: JSON Lines of <c>{"cartId":"c1","items":[{"sku":"22386","quantity":2,"variantId":"85099B"}]}</c>.
/// <c>cartId</c> and a non-empty <c>items</c> array are required; each item needs a <c>sku</c>; <c>quantity</c>
/// (default 1) must be a whole number from 1 to the contract maximum; <c>variantId</c> is optional. Other properties
/// are ignored.
/// </summary>
public static class CartFiles
{
    public static ReadResult<CartFileEntry> Read(string path)
    {
        var items = new List<CartFileEntry>();
        var problems = new List<ReadProblem>();
        foreach (var (line, text) in JsonLines.Lines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                var (entry, error) = Parse(doc.RootElement);
                if (entry is null) problems.Add(new ReadProblem(path, line, error!));
                else items.Add(entry with { Line = line });
            }
            catch (JsonException ex)
            {
                problems.Add(new ReadProblem(path, line, $"not a JSON object: {JsonLines.Describe(ex)}"));
            }
        }
        return new ReadResult<CartFileEntry>(items, problems);
    }

    private static (CartFileEntry? Entry, string? Error) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return (null, $"expected a JSON object, found {root.ValueKind}");
        if (!TryId(root, "cartId", out var cartId, out var error)) return (null, error);
        if (!root.TryGetProperty("items", out var array) || array.ValueKind != JsonValueKind.Array)
            return (null, "items must be an array");
        if (array.GetArrayLength() == 0) return (null, "items must hold at least one item");
        var list = new List<CartFileItem>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return (null, $"items[{i}] must be an object");
            if (!TryId(item, "sku", out var sku, out error)) return (null, $"items[{i}].{error}");
            string? variant = null;
            if (item.TryGetProperty("variantId", out var v) && v.ValueKind != JsonValueKind.Null)
            {
                if (!TryId(item, "variantId", out variant, out error)) return (null, $"items[{i}].{error}");
            }
            var quantity = 1;
            if (item.TryGetProperty("quantity", out var q) && q.ValueKind != JsonValueKind.Null)
            {
                if (q.ValueKind != JsonValueKind.Number || !q.TryGetInt32(out quantity))
                    return (null, $"items[{i}].quantity must be a whole number, was {q.GetRawText()}");
                if (quantity <= 0 || quantity > ContractValidation.MaxQuantity)
                    return (null, $"items[{i}].quantity must be between 1 and {ContractValidation.MaxQuantity}, was {quantity}");
            }
            list.Add(new CartFileItem(sku!, quantity, variant));
            i++;
        }
        return (new CartFileEntry(cartId!, list), null);
    }

    private static bool TryId(JsonElement obj, string name, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!obj.TryGetProperty(name, out var p) || p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
        {
            error = $"{name} is required (a non-empty string)";
            return false;
        }
        value = p.GetString()!.Trim();
        if (value.Length > ContractValidation.MaxIdLength)
        {
            error = $"{name} is longer than {ContractValidation.MaxIdLength} characters";
            return false;
        }
        return true;
    }
}
