using NJsonSchema;

namespace CartCrossSell.Contracts.Tests;

/// <summary>
/// What NJsonSchema 11.6.2 (the validator of these tests) does with 2020-12 keywords, and so why the schemas are
/// written the way they are. If an upgrade starts honouring a keyword, the matching test fails: then the
/// workaround in the schemas can go.
/// </summary>
public sealed class NJsonSchemaFindingsTests
{
    private static int Errors(string schema, string json) => JsonSchema.FromJsonAsync(schema).GetAwaiter().GetResult().Validate(json).Count;

    [Fact]
    public void Const_is_ignored_so_schema_version_also_carries_an_enum()
    {
        Assert.Equal(0, Errors("""{"properties":{"v":{"const":1}}}""", """{"v":2}"""));
        Assert.Equal(1, Errors("""{"properties":{"v":{"const":1,"enum":[1]}}}""", """{"v":2}"""));
    }

    [Fact]
    public void If_then_is_ignored_so_per_type_rules_are_a_one_of()
    {
        const string ifThen = """{"if":{"properties":{"t":{"enum":["a"]}},"required":["t"]},"then":{"required":["x"]}}""";
        Assert.Equal(0, Errors(ifThen, """{"t":"a"}"""));
        const string oneOf = """{"oneOf":[{"properties":{"t":{"enum":["a"]}},"required":["t","x"]},{"properties":{"t":{"enum":["b"]}}}]}""";
        Assert.Equal(1, Errors(oneOf, """{"t":"a"}"""));
        Assert.Equal(0, Errors(oneOf, """{"t":"a","x":1}"""));
    }

    [Fact]
    public void Max_items_zero_means_no_limit_so_an_empty_list_is_also_stated_as_not_min_items_one()
    {
        Assert.Equal(0, Errors("""{"maxItems":0}""", "[1]"));
        Assert.Equal(1, Errors("""{"maxItems":0,"not":{"minItems":1}}""", "[1]"));
    }

    [Fact]
    public void A_ref_inside_a_defs_entry_is_not_resolved_so_defs_entries_are_self_contained()
    {
        const string nested = """{"$defs":{"a":{"type":"integer","minimum":1},"b":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"properties":{"v":{"$ref":"#/$defs/b"}}}""";
        Assert.Throws<InvalidOperationException>(() => Errors(nested, """{"v":0}"""));
        Assert.Equal(1, Errors("""{"$defs":{"a":{"type":"integer","minimum":1}},"properties":{"v":{"$ref":"#/$defs/a"}}}""", """{"v":0}"""));
    }

    [Fact]
    public void Property_names_is_ignored_so_attribute_names_are_bounded_by_a_pattern_property()
    {
        Assert.Equal(0, Errors("""{"propertyNames":{"maxLength":2}}""", """{"abc":"x"}"""));
        const string patterned = """{"patternProperties":{"^(?=[\\s\\S]*\\S)[\\s\\S]{1,2}$":{"type":"string","maxLength":3}},"additionalProperties":false}""";
        Assert.Equal(0, Errors(patterned, """{"ab":"xyz"}"""));
        Assert.Equal(1, Errors(patterned, """{"abc":"x"}"""));
        Assert.Equal(1, Errors(patterned, """{" ":"x"}"""));
        Assert.Equal(1, Errors(patterned, """{"ab":"wxyz"}"""));
    }

    [Fact]
    public void Keywords_the_schemas_rely_on_are_honoured()
    {
        Assert.Equal(1, Errors("""{"properties":{"v":{"type":"string","format":"date-time"}}}""", """{"v":"yesterday"}"""));
        Assert.Equal(1, Errors("""{"properties":{"v":{"type":"string","pattern":"^[A-Z]{3}$"}}}""", """{"v":"gbp"}"""));
        Assert.Equal(1, Errors("""{"properties":{"a":{}},"additionalProperties":false}""", """{"b":1}"""));
        Assert.Equal(1, Errors("""{"maxProperties":1}""", """{"a":1,"b":2}"""));
        Assert.Equal(1, Errors("""{"type":"integer","minimum":1,"maximum":10000}""", "10001"));
        Assert.Equal(1, Errors("""{"type":"integer"}""", "1.5"));
        Assert.Equal(0, Errors("""{"type":["string","null"]}""", "null"));
    }
}
