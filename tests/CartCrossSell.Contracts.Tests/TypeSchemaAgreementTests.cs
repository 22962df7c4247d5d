using System.Text.Json;
using System.Text.Json.Nodes;
using CartCrossSell.Contracts;

namespace CartCrossSell.Contracts.Tests;

/// <summary>The C# contract types and the schemas describe the same JSON.</summary>
public sealed class TypeSchemaAgreementTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (contract, name, _) in Instances.All()) data.Add($"{contract.Name}/{name}");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void What_the_service_writes_passes_the_schema_and_reads_back_the_same(string id)
    {
        var (contract, _, value) = Instances.All().Single(c => $"{c.Contract.Name}/{c.Case}" == id);

        var json = contract.Write(value);

        Assert.Empty(contract.SchemaErrors(json));
        if (contract.Validate is { } validate) Assert.Empty(validate(value));
        Assert.Equal(json, contract.Write(contract.Parse(json)!));
    }

    /// <summary>Each schema object (by JSON pointer) and the C# type whose properties it lists.</summary>
    public static TheoryData<string, string, string> SchemaObjects() => new()
    {
        { "cart-event", "", nameof(CartEvent) },
        { "order-completed", "", nameof(OrderCompleted) },
        { "order-completed", "/properties/lines/items", nameof(OrderLine) },
        { "product-upserted", "", nameof(ProductUpserted) },
        { "product-upserted", "/properties/variants/items", nameof(ProductVariant) },
        { "cart-recommendation", "", nameof(CartRecommendation) },
        { "cart-recommendation", "/properties/addOns/items", nameof(RecommendedAddOn) },
        { "cart-recommendation", "/properties/addOns/items/properties/addToCart", nameof(OneClickAdd) },
        { "dead-letter", "", nameof(DeadLetter) },
        { "neighbor-row", "", nameof(NeighborRow) },
        { "neighbor-row", "/properties/neighbors/items", nameof(NeighborWeight) },
        { "merchandising-rule", "", nameof(MerchandisingRuleRecord) },
        { "merchandising-rule", "/properties/trigger", nameof(MerchandisingTrigger) },
        { "aov-aggregate", "", nameof(AovAggregateRecord) },
        { "aov-aggregate", "/$defs/cohort", nameof(AovCohort) },
        { "aov-aggregate", "/properties/comparison", nameof(AovComparison) },
        { "aov-aggregate", "/properties/comparison/properties/incrementalRevenuePerSessionCi", nameof(AovInterval) },
        { "aov-aggregate", "/properties/srm", nameof(AovSampleRatio) },
        { "aov-aggregate", "/properties/naive", nameof(AovNaiveComparison) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement", nameof(AovEngagement) },
        { "aov-aggregate", "/$defs/cohort/properties/visitors", nameof(AovVisitors) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement/properties/positions/items", nameof(AovPosition) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement/properties/addOns/items", nameof(AovAddOn) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement/properties/otherAddOns", nameof(AovAddOn) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement/properties/models/items", nameof(AovModel) },
        { "aov-aggregate", "/$defs/cohort/properties/engagement/properties/otherModels", nameof(AovModel) },
        { "cross-sell-impression", "", nameof(CrossSellImpression) },
    };

    [Theory]
    [MemberData(nameof(SchemaObjects))]
    public void The_schema_lists_exactly_the_properties_the_type_writes_and_requires_what_the_type_requires(string schema, string pointer, string typeName)
    {
        var type = typeof(CartEvent).Assembly.GetTypes().Single(t => t.Name == typeName);
        var info = ContractsJson.Default.GetTypeInfo(type)!;
        var node = Resolve(Contracts.ByName(schema).SchemaNode, pointer);

        var schemaNames = node["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var typeNames = info.Properties.Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(typeNames, schemaNames);
        Assert.False(node["additionalProperties"]!.GetValue<bool>());

        // A property C# requires (required members, constructor parameters) is required by the schema too.
        var required = node["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToHashSet();
        foreach (var p in info.Properties.Where(p => p.IsRequired))
            Assert.Contains(p.Name, required);
        foreach (var parameter in type.GetConstructors().SelectMany(c => c.GetParameters()).Where(p => p.ParameterType != type))
            Assert.Contains(JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!), required);
    }

    [Fact]
    public void Every_schema_is_a_2020_12_schema_with_an_id_and_schema_version_1()
    {
        foreach (var contract in Contracts.All)
        {
            var s = contract.SchemaNode;
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", s["$schema"]!.GetValue<string>());
            Assert.EndsWith("/" + contract.Name + ".schema.json", s["$id"]!.GetValue<string>());
            var version = Resolve(s, s["properties"]!["schemaVersion"]!["$ref"] is { } r ? r.GetValue<string>()[1..] : "/properties/schemaVersion");
            Assert.Equal(1, version["const"]!.GetValue<int>());
            Assert.Equal([1], version["enum"]!.AsArray().Select(v => v!.GetValue<int>()));
            Assert.Contains("schemaVersion", s["required"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.Equal("object", s["type"]!.GetValue<string>());
        }
        Assert.Equal(Contracts.All.Select(c => c.Name + ".schema.json").Order(),
            Directory.GetFiles(RepositoryFiles.Schemas, "*.schema.json").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Enum_values_in_the_schema_are_the_names_the_serializer_writes()
    {
        var written = Enum.GetValues<CartEventType>()
            .Select(t => JsonNode.Parse(Contracts.CartEvent.Write(Instances.CartEvent(t)))!["type"]!.GetValue<string>());
        var schema = Contracts.CartEvent.SchemaNode["properties"]!["type"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(written.Order(), schema.Order());
        Assert.Equal(["itemAdded", "itemRemoved", "quantityChanged", "cartViewed", "cartCleared"], written);
    }

    [Fact]
    public void Dates_are_written_as_iso_8601_with_an_offset_and_money_as_json_numbers()
    {
        var json = JsonNode.Parse(Contracts.OrderCompleted.Write(Instances.OrderCompleted()))!;
        Assert.Equal("2024-03-01T10:15:30.123+00:00", json["timestamp"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, json["lines"]![0]!["unitPrice"]!.GetValueKind());
        Assert.Equal(2.55m, json["lines"]![0]!["unitPrice"]!.GetValue<decimal>());
    }

    [Fact]
    public void An_aggregate_written_before_the_model_split_reads_with_no_model_versions_and_stays_valid()
    {
        var json = File.ReadAllText(Path.Combine(RepositoryFiles.Schemas, "samples", "aov-aggregate.valid.total.json"));
        Assert.DoesNotContain("models", json, StringComparison.OrdinalIgnoreCase);

        var engagement = ((AovAggregateRecord)Contracts.AovAggregate.Parse(json)!).Treatment.Engagement!;

        Assert.Empty(engagement.Models); // empty, not null: readers iterate it without a check
        Assert.Null(engagement.OtherModels);
        Assert.Equal(0, engagement.OtherModelVersions);
        Assert.Empty(Contracts.AovAggregate.SchemaErrors(json));
    }

    private static JsonNode Resolve(JsonNode root, string pointer)
    {
        var node = root;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)) node = node[part]!;
        return node;
    }
}
