using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.Web.Tests;

/// <summary>GET /v1/carts/{cartId}/add-ons against a real redis-server: the value as stored, its version as ETag.</summary>
public sealed class AddOnsEndpointTests(WebHostFixture web) : IClassFixture<WebHostFixture>
{
    [Fact]
    public async Task Returns_the_value_byte_for_byte_as_stored_with_its_version_as_the_etag()
    {
        await web.Store.WriteAsync(Values.Treatment("cart-get", 4711, "22328", "21068"));

        using var response = await web.Http.GetAsync("/v1/carts/cart-get/add-ons");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"4711\"", response.Headers.ETag?.Tag);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await web.RawValueAsync("cart-get"), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Answers_304_when_the_client_holds_the_current_version_and_200_when_it_holds_an_older_one()
    {
        await web.Store.WriteAsync(Values.Treatment("cart-etag", 10, "22328"));
        await web.Store.WriteAsync(Values.Treatment("cart-etag", 12, "21068"));

        using var current = new HttpRequestMessage(HttpMethod.Get, "/v1/carts/cart-etag/add-ons");
        current.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"12\""));
        using var notModified = await web.Http.SendAsync(current);
        using var older = new HttpRequestMessage(HttpMethod.Get, "/v1/carts/cart-etag/add-ons");
        older.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"10\""));
        using var changed = await web.Http.SendAsync(older);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("\"12\"", notModified.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var value = JsonSerializer.Deserialize(await changed.Content.ReadAsStringAsync(), ContractsJson.Default.CartRecommendation)!;
        Assert.Equal(12, value.Version);
        Assert.Equal("21068", Assert.Single(value.AddOns).Sku);
    }

    [Fact]
    public async Task A_cart_id_with_a_slash_is_read_as_sent_and_not_taken_for_another()
    {
        // The route value leaves %2F encoded while decoding %25: without reading the path as sent, "a/b" would be read
        // as the cart "a%2Fb", another cart's id.
        await web.Store.WriteAsync(Values.Treatment("a/b", 21, "22328"));
        await web.Store.WriteAsync(Values.Treatment("a%2Fb", 22, "21068"));

        using var slash = await web.Http.GetAsync("/v1/carts/a%2Fb/add-ons");
        using var percent = await web.Http.GetAsync("/v1/carts/a%252Fb/add-ons");
        using var shouted = await web.Http.GetAsync("/V1/CARTS/a%2Fb/add-ons");   // routes match in any case

        Assert.Equal("\"21\"", slash.Headers.ETag?.Tag);
        Assert.Equal("\"22\"", percent.Headers.ETag?.Tag);
        Assert.Equal("\"21\"", shouted.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Answers_404_for_a_cart_without_a_value()
    {
        using var response = await web.Http.GetAsync("/v1/carts/never-seen/add-ons");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("never-seen", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_holdout_value_comes_back_as_stored_with_no_add_ons()
    {
        await web.Store.WriteAsync(Values.Holdout("cart-holdout", 7));

        using var response = await web.Http.GetAsync("/v1/carts/cart-holdout/add-ons");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var value = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ContractsJson.Default.CartRecommendation)!;
        Assert.Equal(Cohorts.Holdout, value.Cohort);
        Assert.Empty(value.AddOns);
        Assert.Equal("\"7\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task A_cart_id_longer_than_the_contract_allows_is_a_400_naming_it()
    {
        using var response = await web.Http.GetAsync($"/v1/carts/{new string('c', 129)}/add-ons");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("cartId is longer than 128", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void The_version_is_read_from_the_top_level_only()
    {
        Assert.Equal(42, Api.CrossSellApi.VersionOf("""{"addOns":[{"version":7}],"nested":{"version":9},"version":42}"""u8));
        Assert.Null(Api.CrossSellApi.VersionOf("""{"addOns":[]}"""u8));
        Assert.Null(Api.CrossSellApi.VersionOf("not json"u8));
    }
}
