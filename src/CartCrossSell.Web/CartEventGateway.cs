using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;

namespace CartCrossSell.Web;

/// <summary>Where a published event landed, or why it was not published (each problem names its field).</summary>
public readonly record struct Publication(IReadOnlyList<string> Problems, int Partition, long Offset)
{
    public bool Published => Problems.Count == 0;
}

/// <summary>
/// The one way the web host writes events: validated with the contract rules every consumer applies
/// (<see cref="ContractValidation"/>), then published with the same <see cref="EventPublisher"/> the simulator uses,
/// keyed like the storefront keys them (cart events by cart id, orders by order id, impressions by cart id), and
/// acknowledged by the broker before the caller answers.
/// </summary>
public sealed class CartEventGateway(EventPublisher publisher)
{
    /// <summary>Raised after a cart event was stored, with its offset (the demo shop keeps its carts from it).</summary>
    public event Action<CartEvent, long>? CartEventPublished;

    public async Task<Publication> PublishAsync(CartEvent e, CancellationToken cancellationToken = default)
    {
        var result = await PublishAsync(Topics.CartEvents, e.CartId, e, ContractValidation.Validate(e), ContractsJson.Default.CartEvent, e.Timestamp, cancellationToken);
        if (result.Published) CartEventPublished?.Invoke(e, result.Offset);
        return result;
    }

    public Task<Publication> PublishAsync(OrderCompleted order, CancellationToken cancellationToken = default) =>
        PublishAsync(Topics.OrderEvents, order.OrderId, order, ContractValidation.Validate(order), ContractsJson.Default.OrderCompleted, order.Timestamp, cancellationToken);

    public Task<Publication> PublishAsync(CrossSellImpression impression, CancellationToken cancellationToken = default) =>
        PublishAsync(Topics.CrossSellImpressions, impression.CartId, impression, ContractValidation.Validate(impression),
            ContractsJson.Default.CrossSellImpression, impression.Timestamp, cancellationToken);

    private async Task<Publication> PublishAsync<T>(string topic, string key, T value, IReadOnlyList<string> problems, JsonTypeInfo<T> typeInfo,
        DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        if (problems.Count > 0) return new Publication(problems, -1, -1);
        var (partition, offset) = await publisher.PublishAsync(topic, key, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), timestamp, cancellationToken);
        return new Publication([], partition, offset);
    }
}
