using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli.Hosting;

/// <summary>What a backfill read and published.</summary>
public sealed record BackfillReport(OrderFileFormat Format, int Orders, int OrderLines, int Products, IReadOnlyList<ReadProblem> Problems);

/// <summary>
/// Publishes historical orders to <c>order-events</c> (keyed by order id) and a catalog to <c>catalog</c> (keyed by
/// sku): from a catalog file when given, otherwise derived from the Online Retail file. The catalog goes first, so the
/// learner knows every product's category when the orders arrive.
/// </summary>
public static class BackfillJob
{
    public static async Task<BackfillReport> RunAsync(
        EventPublisher publisher, string ordersPath, string? catalogPath, IProgress<(int Done, int Total)>? progress = null,
        Func<HistoricalOrder, bool>? include = null, DateTimeOffset? rebaseTo = null, CancellationToken cancellationToken = default)
    {
        var read = OrderFiles.Read(ordersPath);
        var problems = read.Problems.ToList();
        IReadOnlyList<ProductUpserted> catalog = [];
        if (catalogPath is not null)
        {
            var catalogRead = CatalogFiles.Read(catalogPath);
            problems.AddRange(catalogRead.Problems);
            catalog = catalogRead.Items;
        }
        else if (read.Format == OrderFileFormat.OnlineRetail)
        {
            catalog = OnlineRetailCatalog.Derive(read.Orders);
        }

        foreach (var product in catalog)
            publisher.Publish(Topics.Catalog, product.Sku, JsonSerializer.SerializeToUtf8Bytes(product, ContractsJson.Default.ProductUpserted));
        await publisher.FlushAsync(cancellationToken);

        var orders = read.Orders.Where(o => include?.Invoke(o) ?? true).ToArray();
        if (rebaseTo is { } target && orders.Length > 0)
        {
            // Replays history as if it were recent: the decay half-life then weighs it as fresh evidence.
            var shift = target - orders.Max(o => o.Timestamp);
            orders = orders.Select(o => o with { Timestamp = o.Timestamp + shift }).ToArray();
        }
        var lines = 0;
        for (var i = 0; i < orders.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var order = orders[i];
            var value = JsonSerializer.SerializeToUtf8Bytes(order.ToOrderCompleted(), ContractsJson.Default.OrderCompleted);
            publisher.Publish(Topics.OrderEvents, order.OrderId, value, order.Timestamp);
            lines += order.Lines.Count;
            if (i % 100 == 99 || i == orders.Length - 1) progress?.Report((i + 1, orders.Length));
        }
        await publisher.FlushAsync(cancellationToken);
        return new BackfillReport(read.Format, orders.Length, lines, catalog.Count, problems);
    }
}
