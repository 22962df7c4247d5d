using System.Text.Json.Serialization;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies;

/// <summary>JSON of the state stores' values (their changelogs), source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CartState))]
internal sealed partial class TopologiesJson : JsonSerializerContext;
