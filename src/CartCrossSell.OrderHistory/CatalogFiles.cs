using System.Text.Json;
using System.Text.Json.Nodes;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// Reads a catalog: JSON Lines of <see cref="ProductUpserted"/>, each checked with <see cref="ContractValidation"/>.
/// Products are returned in file order; a later line for the same sku is kept too (on the compacted catalog topic the
/// latest record per sku is the product).
/// </summary>
public static class CatalogFiles
{
    public static ReadResult<ProductUpserted> Read(string path)
    {
        var items = new List<ProductUpserted>();
        var problems = new List<ReadProblem>();
        foreach (var (line, text) in JsonLines.Lines(path))
        {
            ProductUpserted? product;
            var rewritten = false;
            try
            {
                (var parsed, rewritten) = WithOfflineDefaults(text);
                product = JsonSerializer.Deserialize(parsed, ContractsJson.Default.ProductUpserted);
            }
            catch (JsonException ex)
            {
                // A byte of a rewritten line would point into the rewrite, not into the file.
                problems.Add(new ReadProblem(path, line, $"not a ProductUpserted record: {JsonLines.Describe(ex, textAsWritten: !rewritten)}"));
                continue;
            }
            if (product is null)
            {
                problems.Add(new ReadProblem(path, line, "not a ProductUpserted record: the line is null"));
                continue;
            }
            var errors = ContractValidation.Validate(product);
            if (errors.Count > 0)
            {
                problems.Add(new ReadProblem(path, line, string.Join("; ", errors)));
                continue;
            }
            items.Add(product);
        }
        return new ReadResult<ProductUpserted>(items, problems);
    }

    /// <summary>
    /// A catalog file for the offline commands may leave out what a store without prices or display titles does not
    /// have: an absent or null <c>price</c> reads as 0 (the engine then skips the price rules for that product) and an
    /// absent <c>title</c> as the sku. Everything else is the <c>product-upserted</c> contract, validated as such.
    /// </summary>
    private static (string Text, bool Rewritten) WithOfflineDefaults(string text)
    {
        if (JsonNode.Parse(text) is not JsonObject product) return (text, false);
        var changed = false;
        if (product["price"] is null)
        {
            product["price"] = 0;
            changed = true;
        }
        if (product["title"] is null && product["sku"] is JsonValue sku && sku.TryGetValue<string>(out var id))
        {
            product["title"] = id;
            changed = true;
        }
        return changed ? (product.ToJsonString(), true) : (text, false);
    }
}
