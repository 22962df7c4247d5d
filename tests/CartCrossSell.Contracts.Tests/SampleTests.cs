using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartCrossSell.Contracts.Tests;

/// <summary>The samples in schemas/samples against the schemas, System.Text.Json and ContractValidation.</summary>
public sealed class SampleTests
{
    public static TheoryData<string> ValidSamples => Sample.Named("valid");
    public static TheoryData<string> InvalidSamples => Sample.Named("invalid");
    public static TheoryData<string> UnparseableSamples => Sample.Named("unparseable");

    [Theory]
    [MemberData(nameof(ValidSamples))]
    public void A_valid_sample_passes_its_schema_and_the_service_checks(string file)
    {
        var sample = Sample.Get(file);
        var contract = sample.Of;

        Assert.Empty(contract.SchemaErrors(sample.Json));
        var value = contract.Parse(sample.Json);
        Assert.NotNull(value);
        if (contract.Validate is { } validate) Assert.Empty(validate(value));
    }

    [Theory]
    [MemberData(nameof(ValidSamples))]
    public void A_valid_sample_survives_a_round_trip_through_the_contract_types(string file)
    {
        var sample = Sample.Get(file);
        var contract = sample.Of;

        var first = contract.Parse(sample.Json)!;
        var written = contract.Write(first);
        var second = contract.Parse(written)!;
        var rewritten = contract.Write(second);

        // Records holding lists or dictionaries do not compare those by value, so compare what is written.
        Assert.Equal(written, rewritten);
        // Nothing is lost: every property of the sample comes back with the same value (defaults may be added).
        var original = JsonNode.Parse(sample.Json)!.AsObject();
        var back = JsonNode.Parse(written)!.AsObject();
        foreach (var (name, node) in original)
        {
            if (node is null) { Assert.True(!back.ContainsKey(name) || back[name] is null, name); continue; }
            Assert.True(back.ContainsKey(name), $"'{name}' was dropped");
            Assert.True(SameValue(node, back[name]!), $"'{name}' changed from {node.ToJsonString()} to {back[name]!.ToJsonString()}");
        }
        Assert.Empty(contract.SchemaErrors(written));
    }

    [Theory]
    [MemberData(nameof(InvalidSamples))]
    public void An_invalid_sample_is_rejected_by_its_schema_and_by_the_service_checks(string file)
    {
        var sample = Sample.Get(file);
        var contract = sample.Of;

        Assert.NotEmpty(contract.SchemaErrors(sample.Json));
        // It parses (the problem is in the values, not the shape) ...
        var value = contract.Parse(sample.Json);
        Assert.NotNull(value);
        // ... and where the service checks the contract on input, ContractValidation agrees with the schema.
        if (contract.Validate is { } validate) Assert.NotEmpty(validate(value));
    }

    [Theory]
    [MemberData(nameof(UnparseableSamples))]
    public void An_unparseable_sample_is_rejected_by_its_schema_and_does_not_deserialize(string file)
    {
        var sample = Sample.Get(file);
        var contract = sample.Of;

        var schemaRejects = true;
        try
        {
            schemaRejects = contract.SchemaErrors(sample.Json).Count > 0;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            // Not JSON at all: nothing to validate.
        }
        Assert.True(schemaRejects);
        var ex = Assert.ThrowsAny<JsonException>(() => contract.Parse(sample.Json));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Every_contract_has_valid_and_invalid_samples_and_every_cart_event_type_a_valid_one()
    {
        var samples = Sample.All();
        Assert.All(samples, s => Assert.Contains(s.Kind, new[] { "valid", "invalid", "unparseable" }));
        foreach (var contract in Contracts.All)
        {
            Assert.Contains(samples, s => s.Contract == contract.Name && s.Kind == "valid");
            Assert.Contains(samples, s => s.Contract == contract.Name && s.Kind == "invalid");
        }
        var types = samples.Where(s => s.Contract == "cart-event" && s.Kind == "valid")
            .Select(s => JsonNode.Parse(s.Json)!["type"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(["cartCleared", "cartViewed", "itemAdded", "itemRemoved", "quantityChanged"], types.Order());
    }

    [Fact]
    public void An_unknown_cart_event_type_fails_to_parse_naming_the_type_field()
    {
        var json = Sample.Get("cart-event.unparseable.unknown-type.json").Json;

        var ex = Assert.ThrowsAny<JsonException>(() => Contracts.CartEvent.Parse(json));

        // System.Text.Json names the containing record, the JSON path of the bad value, and where it is.
        Assert.Contains("could not be converted to CartCrossSell.Contracts.CartEvent", ex.Message);
        Assert.Contains("Path: $.type", ex.Message);
        Assert.Equal("$.type", ex.Path);
        // LineNumber is 0-based: "type" is on the fourth line of the sample.
        Assert.Equal(3, ex.LineNumber);
        Assert.Contains("NotInEnumeration at #/type", Contracts.CartEvent.SchemaErrors(json));
    }

    [Fact]
    public void Malformed_json_fails_to_parse_with_the_line_and_position()
    {
        var json = Sample.Get("cart-event.unparseable.malformed.json").Json;

        var ex = Assert.ThrowsAny<JsonException>(() => Contracts.CartEvent.Parse(json));

        // 0-based: the missing comma is on the second line.
        Assert.Equal(1, ex.LineNumber);
        Assert.Contains("LineNumber: 1", ex.Message);
        Assert.Contains("'\"'", ex.Message);
    }

    [Fact]
    public void A_missing_required_field_fails_to_parse_naming_the_field()
    {
        var ex = Assert.ThrowsAny<JsonException>(() => Contracts.CartEvent.Parse(Sample.Get("cart-event.unparseable.missing-cart-id.json").Json));
        Assert.Contains("cartId", ex.Message);
        var lines = Assert.ThrowsAny<JsonException>(() => Contracts.OrderCompleted.Parse(Sample.Get("order-completed.unparseable.missing-lines.json").Json));
        Assert.Contains("lines", lines.Message);
    }

    private static bool SameValue(JsonNode a, JsonNode b)
    {
        if (a is JsonValue va && b is JsonValue vb)
        {
            if (va.GetValueKind() == JsonValueKind.Number && vb.GetValueKind() == JsonValueKind.Number)
                return va.GetValue<decimal>() == vb.GetValue<decimal>();
            if (va.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(va.GetValue<string>(), out var da)
                && vb.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(vb.GetValue<string>(), out var db))
                return da == db && da.Offset == db.Offset;
            return JsonNode.DeepEquals(a, b);
        }
        if (a is JsonArray aa && b is JsonArray ab)
            return aa.Count == ab.Count && aa.Zip(ab).All(p => p.First is null ? p.Second is null : p.Second is not null && SameValue(p.First, p.Second));
        if (a is JsonObject oa && b is JsonObject ob)
            return oa.All(kv => kv.Value is null ? !ob.ContainsKey(kv.Key) || ob[kv.Key] is null
                : ob.ContainsKey(kv.Key) && SameValue(kv.Value, ob[kv.Key]!));
        return false;
    }
}
