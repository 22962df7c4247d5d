using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>Source-generated JSON for every contract: camelCase, nulls omitted, no reflection at run time.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(CartEvent))]
[JsonSerializable(typeof(OrderCompleted))]
[JsonSerializable(typeof(ProductUpserted))]
[JsonSerializable(typeof(CartRecommendation))]
[JsonSerializable(typeof(DeadLetter))]
[JsonSerializable(typeof(NeighborRow))]
[JsonSerializable(typeof(BasketRowDelta))]
public sealed partial class ContractsJson : JsonSerializerContext;
