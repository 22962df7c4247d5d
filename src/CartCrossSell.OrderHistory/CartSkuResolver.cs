namespace CartCrossSell.OrderHistory;

/// <summary>What a cart file's item names, read against the orders (and catalog) the engine learned from.</summary>
/// <param name="Sku">The product sku the engine knows the item by.</param>
/// <param name="VariantId">The variant: the file's, or the code the item was named by when that is a variant.</param>
/// <param name="Known">Whether the orders or the catalog hold the product: an unknown one brings no evidence.</param>
public readonly record struct ResolvedCartItem(string Sku, string? VariantId, bool Known);

/// <summary>
/// Resolves the items of a cart file to the products the engine learned. A cart may name an item by the code an order
/// file prints for it, which for a variant is not the product's sku: an Online Retail cart naming <c>85099B</c> means
/// variant B of product <c>85099</c> (docs/data.md, "Variant rule"), and looked up as a sku it would be unknown, leave
/// the cart without evidence and its list empty, silently. A name that is a product sku stays as it is; one that is
/// only a variant id of the orders or the catalog becomes its product, keeping the code as the variant.
/// </summary>
public sealed class CartSkuResolver
{
    private readonly HashSet<string> _skus;
    private readonly Dictionary<string, string> _productOfVariant;
    private readonly bool _onlineRetailCodes;

    private CartSkuResolver(HashSet<string> skus, Dictionary<string, string> productOfVariant, bool onlineRetailCodes)
    {
        _skus = skus;
        _productOfVariant = productOfVariant;
        _onlineRetailCodes = onlineRetailCodes;
    }

    /// <param name="orders">The orders the engine learns from.</param>
    /// <param name="catalog">The catalog's products as (sku, variant ids), if any.</param>
    /// <param name="onlineRetailCodes">The orders are an Online Retail file: a code the orders never held is still read by
    /// its rule (<see cref="OnlineRetailStockCodes"/>), so a design nobody ordered yet names its product.</param>
    public static CartSkuResolver Build(IEnumerable<HistoricalOrder> orders, IEnumerable<(string Sku, IEnumerable<string> VariantIds)>? catalog = null,
        bool onlineRetailCodes = false)
    {
        var skus = new HashSet<string>(StringComparer.Ordinal);
        var productOfVariant = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string sku, string? variant)
        {
            skus.Add(sku);
            // A variant code names the first product seen with it (a code two products share is ambiguous; the first wins).
            if (!string.IsNullOrEmpty(variant) && variant != sku) productOfVariant.TryAdd(variant, sku);
        }
        foreach (var order in orders)
            foreach (var line in order.Lines)
                Add(line.Sku, line.VariantId);
        if (catalog is not null)
            foreach (var (sku, variants) in catalog)
            {
                skus.Add(sku); // a product without variants
                foreach (var v in variants) Add(sku, v);
            }
        return new CartSkuResolver(skus, productOfVariant, onlineRetailCodes);
    }

    public ResolvedCartItem Resolve(CartFileItem item)
    {
        if (_skus.Contains(item.Sku)) return new ResolvedCartItem(item.Sku, item.VariantId, true);
        if (_productOfVariant.TryGetValue(item.Sku, out var product)) return new ResolvedCartItem(product, item.VariantId ?? item.Sku, true);
        if (_onlineRetailCodes && OnlineRetailStockCodes.TrySplit(item.Sku, out var sku, out var variant) && _skus.Contains(sku))
            return new ResolvedCartItem(sku, item.VariantId ?? variant, true);
        return new ResolvedCartItem(item.Sku, item.VariantId, false);
    }
}
