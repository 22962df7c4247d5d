using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Web.Shop;

/// <summary>A product as the demo shop lists it: full price, and the variant a plain "add to cart" takes.</summary>
public sealed record ShopProduct(string Sku, string Title, decimal Price, string Currency, string VariantId, string Category, long UnitsSold);

/// <summary>The demo shop's catalog: the <c>catalog</c> topic replicated in memory, listed best sellers first.</summary>
public sealed class ShopCatalog(WebServiceOptions options, ILoggerFactory loggers)
    : TableFeed<ProductUpserted>(new GlobalTable<ProductUpserted>(Topics.Catalog, ContractCodecs.ProductUpserted, options.Kafka, loggers, ContractValidation.KeyMismatch), loggers.CreateLogger<ShopCatalog>())
{
    public const int MaxListed = 60;

    private sealed record Listed(long Applied, ShopProduct[] Products);

    private Listed _listing = new(-1, []);

    public ShopProduct? Find(string sku) => Table.Find(sku) is { } p ? ToShop(p) : null;

    /// <summary>In-stock products whose title or sku contains <paramref name="query"/>, best sellers first.</summary>
    public IReadOnlyList<ShopProduct> List(string? query, int limit)
    {
        var q = query?.Trim();
        return Listing()
            .Where(p => string.IsNullOrEmpty(q) || p.Title.Contains(q, StringComparison.OrdinalIgnoreCase) || p.Sku.Contains(q, StringComparison.OrdinalIgnoreCase))
            .Take(Math.Clamp(limit, 1, MaxListed))
            .ToList();
    }

    /// <summary>
    /// Every listable product, best sellers first, projected and sorted once per change of the table rather than on
    /// every request (a page load of a large catalog sorted it whole); replaced whole, so readers never see it half built.
    /// </summary>
    private ShopProduct[] Listing()
    {
        var cached = Volatile.Read(ref _listing);
        var applied = Table.Applied; // read before the entries: a change during the projection makes the next call project again
        if (cached.Applied == applied) return cached.Products;
        var listed = Table.Entries.Select(e => e.Value)
            .Where(p => p.InStock && p.Price > 0 && !p.NeedsFitDecision)
            .Select(ToShop)
            .OrderByDescending(p => p.UnitsSold).ThenBy(p => p.Sku, StringComparer.Ordinal)
            .ToArray();
        Volatile.Write(ref _listing, new Listed(applied, listed));
        return listed;
    }

    private static ShopProduct ToShop(ProductUpserted p)
    {
        var variant = p.Variants.Where(v => v.InStock).OrderByDescending(v => v.UnitsSold ?? 0).ThenBy(v => v.VariantId, StringComparer.Ordinal).FirstOrDefault();
        return new ShopProduct(p.Sku, p.Title, p.Price, p.Currency, variant?.VariantId ?? p.Sku, p.CategoryPath.LastOrDefault() ?? "",
            p.Variants.Sum(v => v.UnitsSold ?? 0));
    }
}
