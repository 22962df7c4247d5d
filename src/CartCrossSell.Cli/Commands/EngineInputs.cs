using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.OrderHistory;
using CartCrossSell.Contracts;
using CartCrossSell.Topologies.Catalog;

namespace CartCrossSell.Cli.Commands;

/// <summary>Reads the order and catalog files the engine commands share, reporting every bad line with its number.</summary>
internal static class EngineInputs
{
    public const string DerivedCatalog = "derived";
    public const string NoCatalog = "none";

    public static OrderReadResult ReadOrders(string path, TextWriter error)
    {
        var result = OrderFiles.Read(path);
        Report(result.Problems, error);
        return result;
    }

    /// <summary>
    /// The catalog for <paramref name="spec"/>: a JSON Lines file of products, "derived" (the deterministic Online
    /// Retail derivation from the orders), "none", or null for the default (derived for Online Retail files, else none).
    /// </summary>
    public static (InMemoryCatalog? Catalog, string Description, IReadOnlySet<string> MultiBuy) ReadCatalog(
        string? spec, OrderReadResult orders, TextWriter error)
    {
        var empty = (IReadOnlySet<string>)new HashSet<string>(StringComparer.Ordinal);
        spec ??= orders.Format == OrderFileFormat.OnlineRetail ? DerivedCatalog : NoCatalog;
        if (spec.Equals(NoCatalog, StringComparison.OrdinalIgnoreCase)) return (null, "none", empty);
        if (spec.Equals(DerivedCatalog, StringComparison.OrdinalIgnoreCase))
        {
            var derived = ToCatalog(OnlineRetailCatalog.Derive(orders.Orders));
            return (derived, $"derived from the orders ({derived.Count} products)", OnlineRetailCatalog.MultiBuyCategories);
        }
        var read = CatalogFiles.Read(spec);
        Report(read.Problems, error);
        var catalog = ToCatalog(read.Items);
        return (catalog, $"{spec} ({catalog.Count} products)", empty);
    }

    /// <summary>The engine's catalog of the products (the streaming host's mapping); a later record for a sku wins.</summary>
    public static InMemoryCatalog ToCatalog(IEnumerable<ProductUpserted> products) => new(products.Select(p => p.ToCatalogItem()));

    public static void Report(IReadOnlyList<ReadProblem> problems, TextWriter error)
    {
        foreach (var p in problems) error.WriteLine($"skipped {p}");
    }

    public static EvalOrder ToEvalOrder(HistoricalOrder order) =>
        new(order.OrderId, order.Timestamp, order.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList());

    public static BasketLearner Learn(IEnumerable<HistoricalOrder> orders, ICatalog? catalog, LearningOptions options)
    {
        var learner = new BasketLearner(options);
        Func<string, string?>? leafOf = catalog is null ? null : sku => catalog.Find(sku)?.LeafCategory;
        foreach (var order in orders)
            learner.AddOrder(order.Lines.Select(l => l.Sku).ToList(), order.Timestamp, leafOf);
        return learner;
    }
}
