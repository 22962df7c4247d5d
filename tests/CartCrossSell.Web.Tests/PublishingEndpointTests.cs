using System.Net;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;

namespace CartCrossSell.Web.Tests;

/// <summary>POST /v1/carts/{cartId}/items and /v1/impressions on the embedded broker: what lands on the topics, and every way to be refused.</summary>
public sealed class PublishingEndpointTests(WebHostFixture web) : IClassFixture<WebHostFixture>
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_one_click_add_publishes_item_added_from_the_widget_with_the_preselected_variant_and_full_price()
    {
        var addOn = Values.AddOn("cart-add", "22328", 2.95m);
        var payload = JsonSerializer.Serialize(addOn.AddToCart, ContractsJson.Default.OneClickAdd);
        var body = payload.TrimEnd('}') + ""","sessionId":"s-1","visitorId":"v-1","unitPrice":2.95,"currency":"GBP"}""";

        using var response = await web.PostJsonAsync("/v1/carts/cart-add/items", body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var offset = answer.RootElement.GetProperty("offset").GetInt64();
        Assert.Equal(offset, answer.RootElement.GetProperty("valueVersion").GetInt64());
        var record = TopicProbe.ReadToEnd(web.Kafka.Options, Topics.CartEvents, ReadTimeout)
            .Single(r => r.Message.Key == "cart-add" && r.Offset.Value == offset && r.Partition.Value == answer.RootElement.GetProperty("partition").GetInt32());
        var e = JsonSerializer.Deserialize(record.Message.Value, ContractsJson.Default.CartEvent)!;
        Assert.Equal(CartEventType.ItemAdded, e.Type);
        Assert.Equal(EventSources.CrossSellWidget, e.Source);
        Assert.Equal(("22328", "22328-v", 1, 2.95m), (e.Sku, e.VariantId, e.Quantity, e.UnitPrice));
        Assert.Equal(("s-1", "v-1"), (e.SessionId, e.VisitorId));
        Assert.Empty(ContractValidation.Validate(e));
    }

    public static TheoryData<string, string> BadAdds() => new()
    {
        { """{"sku":"22328","variantId":"22328","unitPrice":1}""", "sessionId is required" },
        { """{"sku":"22328","variantId":"22328","quantity":0,"sessionId":"s","unitPrice":1}""", "quantity must be positive" },
        { """{"sku":"22328","variantId":"22328","quantity":"2","sessionId":"s","unitPrice":1}""", "quantity has a value of the wrong type" },
        { """{"sku":"22328","variantId":"22328","sessionId":"s"}""", "unitPrice is required" },
        { """{"sku":"22328","variantId":"22328","sessionId":"s","unitPrice":-1}""", "unitPrice must not be negative" },
        { """{"variantId":"22328","sessionId":"s","unitPrice":1}""", "sku is required" },
        { """{"sku":"22328","sessionId":"s","unitPrice":1}""", "variantId is required" },
        { """{"cartId":"someone-else","sku":"22328","variantId":"22328","sessionId":"s","unitPrice":1}""", "cartId in the body" },
        { """{"sku":"22328","variantId":"22328","sessionId":"s","unitPrice":1,"source":"storefront"}""", "source must be 'cross-sell-widget'" },
        { """{"sku":"22328","variantId":"22328","sessionId":"s","unitPrice":1,"currency":"pounds"}""", "currency must be a three-letter" },
        // The cart keeps the variant id in its state record: ids as long as the body limit allowed (16 KB by default,
        // 4 KB in this fixture) made some sixty adds outgrow the record the changelog's producer accepts.
        { $$"""{"sku":"22328","variantId":"{{new string('v', 3_900)}}","sessionId":"s","unitPrice":1}""", "variantId is longer than 128 characters" },
        { $$"""{"sku":"22328","variantId":"{{new string('v', 129)}}","sessionId":"s","unitPrice":1}""", "variantId is longer than 128 characters" },
        { """{"sku":"22328",""", "body is not a JSON object" },
        { "[1,2]", "body is not a JSON object" },
        { "null", "body must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadAdds))]
    public async Task A_bad_add_is_a_400_naming_the_field_and_publishes_nothing(string body, string expected)
    {
        using var response = await web.PostJsonAsync("/v1/carts/cart-bad/items", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
        // An add the host published would have been acknowledged before it answered: the topic read to its end holds it.
        Assert.DoesNotContain(TopicProbe.ReadToEnd(web.Kafka.Options, Topics.CartEvents, TimeSpan.FromSeconds(30)), r => r.Message.Key == "cart-bad");
    }

    [Fact]
    public async Task Not_json_is_a_415_and_a_body_over_the_limit_a_413()
    {
        using var text = await web.Http.PostAsync("/v1/impressions", new StringContent("cartId=c", System.Text.Encoding.UTF8, "text/plain"));
        using var untyped = await web.Http.PostAsync("/v1/impressions", new ByteArrayContent("{\"cartId\":\"c\"}"u8.ToArray()));
        using var lookalike = await web.Http.PostAsync("/v1/impressions", new StringContent("{}", System.Text.Encoding.UTF8, "application/jsonp"));
        using var large = await web.PostJsonAsync("/v1/impressions", $$"""{"cartId":"{{new string('c', 8000)}}"}""");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, untyped.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, lookalike.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    [Fact]
    public async Task An_impression_lands_on_cross_sell_impressions_keyed_by_cart_with_the_skus_in_position_order()
    {
        using var response = await web.PostJsonAsync("/v1/impressions",
            """{"cartId":"cart-imp","sessionId":"s-9","visitorId":"v-9","valueVersion":812,"skus":["21068","85099","22328"],"modelVersion":"basket-aware"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = Assert.Single(TopicProbe.ReadToEnd(web.Kafka.Options, Topics.CrossSellImpressions, ReadTimeout), r => r.Message.Key == "cart-imp");
        var impression = JsonSerializer.Deserialize(record.Message.Value, ContractsJson.Default.CrossSellImpression)!;
        Assert.Equal(["21068", "85099", "22328"], impression.Skus);
        Assert.Equal((812L, "basket-aware", "s-9", "v-9"), (impression.ValueVersion, impression.ModelVersion, impression.SessionId, impression.VisitorId));
        Assert.Empty(ContractValidation.Validate(impression));
    }

    public static TheoryData<string, string> BadImpressions() => new()
    {
        { """{"cartId":"c","skus":["a"],"modelVersion":"m"}""", "valueVersion is required" },
        { """{"cartId":"c","valueVersion":-3,"skus":["a"],"modelVersion":"m"}""", "valueVersion must not be negative" },
        { """{"cartId":"c","valueVersion":1,"skus":[],"modelVersion":"m"}""", "skus must hold at least one sku" },
        { """{"cartId":"c","valueVersion":1,"skus":["a","b","c","d"],"modelVersion":"m"}""", "skus must hold at most 3" },
        { """{"cartId":"c","valueVersion":1,"skus":["a","a"],"modelVersion":"m"}""", "skus must not repeat" },
        { """{"cartId":"c","valueVersion":1,"skus":["a"," "],"modelVersion":"m"}""", "skus[1] is required" },
        { """{"cartId":"c","valueVersion":1,"skus":["a"]}""", "modelVersion is required" },
        { """{"valueVersion":1,"skus":["a"],"modelVersion":"m"}""", "cartId is required" },
        { """{"cartId":"c","valueVersion":"one","skus":["a"],"modelVersion":"m"}""", "valueVersion has a value of the wrong type" },
    };

    [Theory]
    [MemberData(nameof(BadImpressions))]
    public async Task A_bad_impression_is_a_400_naming_the_field(string body, string expected)
    {
        using var response = await web.PostJsonAsync("/v1/impressions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }
}
