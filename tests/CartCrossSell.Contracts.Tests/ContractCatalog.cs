using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using CartCrossSell.Contracts;
using NJsonSchema;

namespace CartCrossSell.Contracts.Tests;

/// <summary>One contract: its schema file, its C# type, and how the service reads, writes and checks it.</summary>
public sealed record Contract(string Name, Type Type, JsonTypeInfo TypeInfo, Func<object, IReadOnlyList<string>>? Validate)
{
    public object? Parse(string json) => JsonSerializer.Deserialize(json, TypeInfo);

    public string Write(object value) => JsonSerializer.Serialize(value, TypeInfo);

    public string SchemaPath => Path.Combine(RepositoryFiles.Schemas, Name + ".schema.json");

    public JsonNode SchemaNode => JsonNode.Parse(File.ReadAllText(SchemaPath))!;

    public JsonSchema Schema => Schemas.GetOrAdd(Name, _ => JsonSchema.FromFileAsync(SchemaPath).GetAwaiter().GetResult());

    public IReadOnlyList<string> SchemaErrors(string json) =>
        Schema.Validate(json).Select(e => $"{e.Kind} at {e.Path}").ToList();

    public override string ToString() => Name;

    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new();
}

public static class Contracts
{
    public static readonly Contract CartEvent = new("cart-event", typeof(CartEvent), ContractsJson.Default.CartEvent, e => ContractValidation.Validate((CartEvent)e));
    public static readonly Contract OrderCompleted = new("order-completed", typeof(OrderCompleted), ContractsJson.Default.OrderCompleted, e => ContractValidation.Validate((OrderCompleted)e));
    public static readonly Contract ProductUpserted = new("product-upserted", typeof(ProductUpserted), ContractsJson.Default.ProductUpserted, e => ContractValidation.Validate((ProductUpserted)e));
    /// <summary>Written by the service itself; only the schema checks it (there is no ContractValidation for it).</summary>
    public static readonly Contract CartRecommendation = new("cart-recommendation", typeof(CartRecommendation), ContractsJson.Default.CartRecommendation, null);
    public static readonly Contract DeadLetter = new("dead-letter", typeof(DeadLetter), ContractsJson.Default.DeadLetter, null);
    public static readonly Contract NeighborRow = new("neighbor-row", typeof(NeighborRow), ContractsJson.Default.NeighborRow, null);

    /// <summary>Published by the aov-aggregator to aov-aggregates; only the schema checks it.</summary>
    public static readonly Contract AovAggregate = new("aov-aggregate", typeof(AovAggregateRecord), ContractsJson.Default.AovAggregateRecord, null);

    /// <summary>Written by <c>cartxsell rules apply</c> to merchandising-rules; checked on input by the recommender.</summary>
    public static readonly Contract MerchandisingRule = new("merchandising-rule", typeof(MerchandisingRuleRecord), ContractsJson.Default.MerchandisingRuleRecord,
        r => ContractValidation.Validate((MerchandisingRuleRecord)r));

    /// <summary>Posted by the cart-page module (through the web host) to cross-sell-impressions; checked on input like the events.</summary>
    public static readonly Contract CrossSellImpression = new("cross-sell-impression", typeof(CrossSellImpression), ContractsJson.Default.CrossSellImpression, e => ContractValidation.Validate((CrossSellImpression)e));

    public static readonly IReadOnlyList<Contract> All = [CartEvent, OrderCompleted, ProductUpserted, CartRecommendation, DeadLetter, NeighborRow, AovAggregate, MerchandisingRule, CrossSellImpression];

    public static Contract ByName(string name) => All.Single(c => c.Name == name);
}

/// <summary>The sample files in schemas/samples: {contract}.{valid|invalid|unparseable}.{case}.json.</summary>
public sealed record Sample(string Contract, string Kind, string Case, string Path)
{
    public string Json => File.ReadAllText(Path);

    public Contract Of => Tests.Contracts.ByName(Contract);

    public override string ToString() => System.IO.Path.GetFileName(Path);

    public static IReadOnlyList<Sample> All() =>
        Directory.GetFiles(System.IO.Path.Combine(RepositoryFiles.Schemas, "samples"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(p =>
            {
                var parts = System.IO.Path.GetFileNameWithoutExtension(p).Split('.');
                if (parts.Length != 3) throw new InvalidDataException($"Sample '{p}' is not named {{contract}}.{{kind}}.{{case}}.json");
                return new Sample(parts[0], parts[1], parts[2], p);
            })
            .ToList();

    public static TheoryData<string> Named(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var s in All().Where(s => s.Kind == kind)) data.Add(System.IO.Path.GetFileName(s.Path));
        return data;
    }

    public static Sample Get(string fileName) => All().Single(s => System.IO.Path.GetFileName(s.Path) == fileName);
}
