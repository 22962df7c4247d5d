using System.Text.Json;
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
            try
            {
                product = JsonSerializer.Deserialize(text, ContractsJson.Default.ProductUpserted);
            }
            catch (JsonException ex)
            {
                problems.Add(new ReadProblem(path, line, $"not a ProductUpserted record: {ex.Message}"));
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
}
