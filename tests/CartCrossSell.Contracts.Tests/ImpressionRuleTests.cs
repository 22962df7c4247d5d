using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.Contracts.Tests;

/// <summary>The impression's rules: the schema and ContractValidation agree on each one, and the message names the field.</summary>
public sealed class ImpressionRuleTests
{
    public static TheoryData<string, string> Breaks() => new()
    {
        { "no skus", "skus" },
        { "four skus", "skus" },
        { "a repeated sku", "skus" },
        { "a blank sku", "skus[1]" },
        { "a negative value version", "valueVersion" },
        { "a blank model version", "modelVersion" },
        { "a blank cart id", "cartId" },
        { "a cart id of 129 characters", "cartId" },
    };

    [Theory]
    [MemberData(nameof(Breaks))]
    public void A_broken_impression_fails_both_checks_and_the_message_names_the_field(string change, string field)
    {
        var ok = Instances.CrossSellImpression();
        var broken = change switch
        {
            "no skus" => ok with { Skus = [] },
            "four skus" => ok with { Skus = ["1", "2", "3", "4"] },
            "a repeated sku" => ok with { Skus = ["20725", "20725"] },
            "a blank sku" => ok with { Skus = ["20725", " "] },
            "a negative value version" => ok with { ValueVersion = -1 },
            "a blank model version" => ok with { ModelVersion = "" },
            "a blank cart id" => ok with { CartId = " " },
            "a cart id of 129 characters" => ok with { CartId = new string('c', 129) },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        var errors = ContractValidation.Validate(broken);

        Assert.Contains(errors, e => e.StartsWith(field + " ", StringComparison.Ordinal));
        Assert.NotEmpty(Contracts.CrossSellImpression.SchemaErrors(JsonSerializer.Serialize(broken, ContractsJson.Default.CrossSellImpression)));
        Assert.Empty(ContractValidation.Validate(ok));
    }

    [Fact]
    public void Optional_session_and_visitor_ids_are_checked_when_present()
    {
        var errors = ContractValidation.Validate(Instances.CrossSellImpression() with { SessionId = "", VisitorId = new string('v', 200) });

        Assert.Contains("sessionId is required", errors);
        Assert.Contains(errors, e => e.StartsWith("visitorId is longer", StringComparison.Ordinal));
    }
}
