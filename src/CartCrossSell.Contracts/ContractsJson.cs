using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>Source-generated JSON for every contract: camelCase, nulls omitted, no reflection at run time.</summary>
/// <remarks>
/// Properties with a default (schemaVersion = 1, currency = "GBP", source, inStock = true, variants = [], ...) have a
/// <c>set</c> accessor, not <c>init</c>: the source generator passes every init-only property to the object initializer,
/// so a property missing from the JSON would get default(T) (null, 0, false) instead of its declared default
/// (dotnet/runtime#84484). With <c>set</c> it is only assigned when present. Contract tests guard this.
/// </remarks>
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
[JsonSerializable(typeof(AovAggregateRecord))]
[JsonSerializable(typeof(MerchandisingRuleRecord))]
[JsonSerializable(typeof(MerchandisingTrigger))]
[JsonSerializable(typeof(CrossSellImpression))]
public sealed partial class ContractsJson : JsonSerializerContext;
