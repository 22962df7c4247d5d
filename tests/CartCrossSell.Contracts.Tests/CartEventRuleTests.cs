using System.Text.Json.Nodes;
using CartCrossSell.Contracts;

namespace CartCrossSell.Contracts.Tests;

/// <summary>
/// The per-type rules of cart events, checked member by member on both sides: a member a type needs, removed, fails
/// the schema and ContractValidation; a member a type does not need, removed, passes both. This is what proves the
/// schema's oneOf really enforces the rules (NJsonSchema 11 would silently ignore an if/then).
/// </summary>
public sealed class CartEventRuleTests
{
    public static TheoryData<string, string, bool> Removals() => new()
    {
        { "itemAdded", "sku", false },
        { "itemAdded", "quantity", false },
        { "itemAdded", "unitPrice", false },
        { "itemAdded", "variantId", true },
        { "itemAdded", "attributes", true },
        { "quantityChanged", "sku", false },
        { "quantityChanged", "quantity", false },
        { "quantityChanged", "unitPrice", true },
        { "itemRemoved", "sku", false },
        { "itemRemoved", "quantity", true },
        { "itemRemoved", "unitPrice", true },
        { "cartViewed", "sku", true },
        { "cartViewed", "quantity", true },
        { "cartCleared", "sku", true },
        { "cartCleared", "visitorId", true },
        { "cartCleared", "currency", true },
        { "cartCleared", "source", true },
    };

    [Theory]
    [MemberData(nameof(Removals))]
    public void Removing_a_member_fails_both_checks_exactly_when_the_type_needs_it(string type, string member, bool stillValid)
    {
        var json = Without(type, member);

        var schemaErrors = Contracts.CartEvent.SchemaErrors(json);
        var validationErrors = ContractValidation.Validate((CartEvent)Contracts.CartEvent.Parse(json)!);

        Assert.Equal(stillValid, schemaErrors.Count == 0);
        Assert.Equal(stillValid, validationErrors.Count == 0);
        if (!stillValid) Assert.Contains(validationErrors, e => e.StartsWith(member, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("itemAdded", 0, false)]
    [InlineData("itemAdded", 1, true)]
    [InlineData("itemAdded", 10_000, true)]
    [InlineData("itemAdded", 10_001, false)]
    [InlineData("quantityChanged", 0, true)]
    [InlineData("quantityChanged", -1, false)]
    [InlineData("quantityChanged", 10_001, false)]
    [InlineData("itemRemoved", -5, true)]
    public void Quantity_limits_depend_on_the_type_and_both_checks_agree(string type, int quantity, bool valid)
    {
        var node = JsonNode.Parse(Contracts.CartEvent.Write(Instances.CartEvent(Enum.Parse<CartEventType>(type, ignoreCase: true))))!;
        node["quantity"] = quantity;
        var json = node.ToJsonString();

        Assert.Equal(valid, Contracts.CartEvent.SchemaErrors(json).Count == 0);
        Assert.Equal(valid, ContractValidation.Validate((CartEvent)Contracts.CartEvent.Parse(json)!).Count == 0);
    }

    /// <summary>
    /// Free text a cart line keeps in the cart's state record: each at its longest passes both checks, one character
    /// more fails both, and the message names the field. Unbounded, sixty posts of 16 KB variant ids outgrew what the
    /// changelog's producer accepts and stopped the recommender at every restart.
    /// </summary>
    public static TheoryData<string, int, bool> Bounds() => new()
    {
        { "variantId", ContractValidation.MaxIdLength, true },
        { "variantId", ContractValidation.MaxIdLength + 1, false },
        { "source", ContractValidation.MaxIdLength, true },
        { "source", ContractValidation.MaxIdLength + 1, false },
        { "attribute name", ContractValidation.MaxAttributeNameLength, true },
        { "attribute name", ContractValidation.MaxAttributeNameLength + 1, false },
        { "attribute value", ContractValidation.MaxAttributeValueLength, true },
        { "attribute value", ContractValidation.MaxAttributeValueLength + 1, false },
        { "blank attribute name", 1, false },
        { "blank variantId", 1, false },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Text_a_cart_line_keeps_is_bounded_and_both_checks_agree(string what, int length, bool valid)
    {
        var text = new string('x', length);
        var e = Instances.CartEvent(CartEventType.ItemAdded);
        e = what switch
        {
            "variantId" => e with { VariantId = text },
            "source" => e with { Source = text },
            "attribute name" => e with { Attributes = new Dictionary<string, string> { [text] = "red" } },
            "attribute value" => e with { Attributes = new Dictionary<string, string> { ["colour"] = text } },
            "blank attribute name" => e with { Attributes = new Dictionary<string, string> { [" "] = "red" } },
            "blank variantId" => e with { VariantId = " " },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var json = Contracts.CartEvent.Write(e);

        var errors = ContractValidation.Validate((CartEvent)Contracts.CartEvent.Parse(json)!);

        Assert.Equal(valid, Contracts.CartEvent.SchemaErrors(json).Count == 0);
        Assert.Equal(valid, errors.Count == 0);
        var field = what.Contains("attribute", StringComparison.Ordinal) ? "attributes" : what.Replace("blank ", "");
        if (!valid) Assert.Contains(errors, m => m.StartsWith(field, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("variantId")]
    [InlineData("source")]
    public void An_order_line_variant_or_source_longer_than_an_id_fails_both_checks_naming_the_line(string member)
    {
        var order = Instances.OrderCompleted();
        var line = member == "variantId" ? order.Lines[1] with { VariantId = new string('v', 129) } : order.Lines[1] with { Source = new string('s', 129) };
        var json = Contracts.OrderCompleted.Write(order with { Lines = [order.Lines[0], line] });

        Assert.NotEmpty(Contracts.OrderCompleted.SchemaErrors(json));
        Assert.Contains(ContractValidation.Validate((OrderCompleted)Contracts.OrderCompleted.Parse(json)!),
            m => m.StartsWith($"lines[1].{member} is longer than", StringComparison.Ordinal));
    }

    [Fact]
    public void Members_left_out_take_their_documented_defaults()
    {
        var e = (CartEvent)Contracts.CartEvent.Parse("""
            {"eventId":"e","type":"cartViewed","cartId":"c","sessionId":"s","timestamp":"2024-03-01T10:00:00Z"}
            """)!;
        Assert.Equal((1, "GBP", EventSources.Storefront), (e.SchemaVersion, e.Currency, e.Source));
        Assert.Empty(ContractValidation.Validate(e));

        var p = (ProductUpserted)Contracts.ProductUpserted.Parse("""
            {"sku":"s","title":"t","categoryPath":["c"],"price":1,"variants":[{"variantId":"v"}]}
            """)!;
        Assert.Equal((1, "GBP", true, false), (p.SchemaVersion, p.Currency, p.InStock, p.NeedsFitDecision));
        Assert.True(p.Variants.Single().InStock);
        Assert.NotNull(p.Variants.Single().Attributes);
        Assert.Empty(((ProductUpserted)Contracts.ProductUpserted.Parse("""{"sku":"s","title":"t","categoryPath":["c"],"price":1}""")!).Variants);

        var o = (OrderCompleted)Contracts.OrderCompleted.Parse("""
            {"eventId":"e","orderId":"o","timestamp":"2024-03-01T10:00:00Z","lines":[{"sku":"s","quantity":1,"unitPrice":1}]}
            """)!;
        Assert.Equal((1, "GBP", EventSources.Storefront), (o.SchemaVersion, o.Currency, o.Lines.Single().Source));

        var r = (CartRecommendation)Contracts.CartRecommendation.Parse("""
            {"cartId":"c","version":1,"cartValue":0,"strategy":"s","generatedAt":"2024-03-01T10:00:00Z","eventTimestamp":"2024-03-01T10:00:00Z",
             "addOns":[{"sku":"s","variantId":"v","title":"t","price":1,"score":1,"reason":"r","variantReason":"v",
                        "addToCart":{"cartId":"c","sku":"s","variantId":"v"}}]}
            """)!;
        Assert.Equal((Cohorts.Treatment, "GBP"), (r.Cohort, r.Currency));
        Assert.Equal((1, EventSources.CrossSellWidget), (r.AddOns.Single().AddToCart.Quantity, r.AddOns.Single().AddToCart.Source));

        var d = (DeadLetter)Contracts.DeadLetter.Parse("""
            {"kind":"invalid","reason":"r","sourceTopic":"t","sourcePartition":0,"sourceOffset":0,"processor":"p","deadLetteredAt":"2024-03-01T10:00:00Z"}
            """)!;
        Assert.Equal((1, "utf8"), (d.SchemaVersion, d.PayloadEncoding));
    }

    [Fact]
    public void Optional_ids_of_an_order_are_checked_when_present()
    {
        var order = Instances.OrderCompleted();
        Assert.Empty(ContractValidation.Validate(order));
        Assert.Contains("cartId is required", ContractValidation.Validate(order with { CartId = " " }));
        Assert.Contains(ContractValidation.Validate(order with { VisitorId = new string('v', 129) }), e => e.StartsWith("visitorId is longer", StringComparison.Ordinal));
        Assert.Contains("sessionId is required", ContractValidation.Validate(order with { SessionId = "" }));
        Assert.NotEmpty(Contracts.OrderCompleted.SchemaErrors(Contracts.OrderCompleted.Write(order with { SessionId = "" })));
    }

    private static string Without(string type, string member)
    {
        var node = JsonNode.Parse(Contracts.CartEvent.Write(Instances.CartEvent(Enum.Parse<CartEventType>(type, ignoreCase: true))))!.AsObject();
        Assert.True(node.Remove(member), $"the {type} instance has no '{member}'");
        return node.ToJsonString();
    }
}
