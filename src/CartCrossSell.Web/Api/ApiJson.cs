using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCrossSell.Web.Api;

/// <summary>
/// The one-click add: an add-on's <c>addToCart</c> payload (cart id, sku, preselected variant, quantity, source) plus
/// what a cart event needs that the payload leaves to the page: the session and visitor, and the full price shown.
/// Every member is optional here so that a missing one is reported by the contract rules, naming the field.
/// </summary>
public sealed record OneClickAddRequest
{
    public string? CartId { get; init; }
    public string? Sku { get; init; }
    public string? VariantId { get; init; }
    public int? Quantity { get; init; }
    public string? Source { get; init; }
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
    public decimal? UnitPrice { get; init; }
    public string? Currency { get; init; }
}

/// <summary>What the module showed: the value's version, its skus in position order, the model (the value's modelVersion, else its strategy).</summary>
public sealed record ImpressionRequest
{
    public string? CartId { get; init; }
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
    public long? ValueVersion { get; init; }
    public IReadOnlyList<string>? Skus { get; init; }
    public string? ModelVersion { get; init; }
}

/// <summary>A published event: its id and where it landed; for a cart event <see cref="ValueVersion"/> is the version of the value that answers it.</summary>
public sealed record Accepted(string EventId, int Partition, long Offset, long? ValueVersion);

/// <summary>A refused request: every problem found, each naming its field.</summary>
public sealed record Problem(int Status, string Title, IReadOnlyList<string> Errors);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(OneClickAddRequest))]
[JsonSerializable(typeof(ImpressionRequest))]
[JsonSerializable(typeof(Accepted))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(Shop.ShopAddRequest))]
[JsonSerializable(typeof(Shop.ShopVisitRequest))]
[JsonSerializable(typeof(Shop.ShopCartView))]
[JsonSerializable(typeof(Shop.ShopProduct[]))]
[JsonSerializable(typeof(Shop.ShopOrderPlaced))]
[JsonSerializable(typeof(Dashboard.ExperimentFigures))]
[JsonSerializable(typeof(Dashboard.ExperimentSummary[]))]
public sealed partial class WebJson : JsonSerializerContext;
