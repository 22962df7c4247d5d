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
        var orders = OrderFiles.Read(ordersPath).Orders;
        var shift = now - orders.Max(o => o.Timestamp);
        int totalOrders = first.Orders, totalLines = first.OrderLines, copies = 1;
        while (totalLines < targetLines && first.OrderLines > 0)
        {
            foreach (var order in orders)
            {
                ct.ThrowIfCancellationRequested();
                var copy = order with { OrderId = $"{order.OrderId}-r{copies}", Timestamp = order.Timestamp + shift };
                publisher.Publish(Topics.OrderEvents, copy.OrderId,
                    JsonSerializer.SerializeToUtf8Bytes(copy.ToOrderCompleted(), ContractsJson.Default.OrderCompleted), copy.Timestamp);
                totalOrders++;
                totalLines += copy.Lines.Count;
            }
            copies++;
        }
        await publisher.FlushAsync(ct);
        return new OrderBacklogReport(totalOrders, totalLines, first.Products, copies);
    }
}
