using CartCrossSell.Engine;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The catalog as one cart sees it: products priced in another currency than the cart's are not there, so they are
/// never offered (their price would be shown in the wrong currency). The cart's own lines stay visible whatever
/// their catalog currency, so the engine still knows what is in the cart. A product whose catalog does not say its
/// currency (order files) is visible.
/// </summary>
public sealed class CurrencyCatalog(ICatalog catalog, string currency, IEnumerable<string> cartSkus) : ICatalog
{
    private readonly HashSet<string> _inCart = new(cartSkus, StringComparer.Ordinal);

    public CatalogItem? Find(string sku) => catalog.Find(sku) is { } item && Offerable(item) ? item : null;

    public IReadOnlyCollection<CatalogItem> InCategory(string leafCategory)
    {
        var items = catalog.InCategory(leafCategory);
        return items.All(Offerable) ? items : items.Where(Offerable).ToArray();
    }

    private bool Offerable(CatalogItem item) =>
        item.Currency is null || string.Equals(item.Currency, currency, StringComparison.Ordinal) || _inCart.Contains(item.Sku);
}
