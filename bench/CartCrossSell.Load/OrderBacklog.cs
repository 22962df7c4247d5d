using System.Text.Json;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;

namespace CartCrossSell.Load;

/// <summary>What the learner's backlog holds.</summary>
public sealed record OrderBacklogReport(int Orders, int Lines, int Products, int Copies);

/// <summary>
/// The learner's input: the real file backfilled as <c>cartxsell backfill --rebase-to-now</c> does (the derived
/// catalog first, then the orders shifted so the newest is now), then the same orders again with fresh order ids
/// until the backlog holds the requested number of lines. Repeats weigh the same pairs more; the work per line is
/// the same as for new orders.
/// </summary>
public static class OrderBacklog
{
    public static async Task<OrderBacklogReport> PublishAsync(EventPublisher publisher, string ordersPath, int targetLines, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var first = await BackfillJob.RunAsync(publisher, ordersPath, catalogPath: null, rebaseTo: now, cancellationToken: ct);
        var copies = await PublishCopiesAsync(publisher, ordersPath, targetLines - first.OrderLines, "r", now, ct);
        return new OrderBacklogReport(first.Orders + copies.Orders, first.OrderLines + copies.Lines, first.Products, 1 + copies.Copies);
    }

    /// <summary>
    /// Only copies of the file's orders (ids suffixed <c>-{tag}{n}</c>, rebased so the newest is <paramref name="now"/>)
    /// until at least <paramref name="targetLines"/> lines are out: a second backlog after <see cref="PublishAsync"/>, whose
    /// catalog the learner already has.
    /// </summary>
    public static async Task<OrderBacklogReport> PublishCopiesAsync(EventPublisher publisher, string ordersPath, int targetLines,
        string tag, DateTimeOffset now, CancellationToken ct)
    {
        var orders = OrderFiles.Read(ordersPath).Orders;
        var shift = orders.Count == 0 ? TimeSpan.Zero : now - orders.Max(o => o.Timestamp);
        var anyLines = orders.Any(o => o.Lines.Count > 0);
        int totalOrders = 0, totalLines = 0, copies = 0;
        while (anyLines && totalLines < targetLines)
        {
            copies++;
            foreach (var order in orders)
            {
                ct.ThrowIfCancellationRequested();
                var copy = order with { OrderId = $"{order.OrderId}-{tag}{copies}", Timestamp = order.Timestamp + shift };
                publisher.Publish(Topics.OrderEvents, copy.OrderId,
                    JsonSerializer.SerializeToUtf8Bytes(copy.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), copy.Timestamp);
                totalOrders++;
                totalLines += copy.Lines.Count;
            }
        }
        await publisher.FlushAsync(ct);
        return new OrderBacklogReport(totalOrders, totalLines, 0, copies);
    }
}
