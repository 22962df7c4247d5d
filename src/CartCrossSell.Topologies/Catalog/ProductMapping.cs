using CartCrossSell.Contracts;
using CartCrossSell.Engine;

namespace CartCrossSell.Topologies.Catalog;

/// <summary>From the <c>catalog</c> contract to the engine's view of a product.</summary>
public static class ProductMapping
{
    public static CatalogItem ToCatalogItem(this ProductUpserted product) => new()
    {
        Sku = product.Sku,
        Title = product.Title,
        CategoryPath = product.CategoryPath,
        Price = product.Price,
        Currency = product.Currency,
        MarginRate = product.MarginRate
            ?? (product.UnitCost is { } cost && product.Price > 0 ? (double)((product.Price - cost) / product.Price) : null),
        InStock = product.InStock,
        NeedsFitDecision = product.NeedsFitDecision,
        Variants = product.Variants.Select(v => new CatalogVariant
        {
            VariantId = v.VariantId,
            Attributes = v.Attributes,
            InStock = v.InStock,
            UnitsSold = v.UnitsSold,
        }).ToArray(),
    };
}
