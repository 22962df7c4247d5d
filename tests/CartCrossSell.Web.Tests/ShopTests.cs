using System.Net;
using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Web.Shop;

namespace CartCrossSell.Web.Tests;

/// <summary>A catalog on the embedded broker before the host starts: what the demo shop lists, adds and checks out.</summary>
public sealed class ShopFixture() : IAsyncLifetime
{
    public WebHostFixture Web { get; } = new() { BeforeStart = PublishCatalogAsync };

    public Task InitializeAsync() => Web.InitializeAsync();
    public Task DisposeAsync() => Web.DisposeAsync();

    private static async Task PublishCatalogAsync(WebHostFixture web)
    {
        ProductUpserted Product(string sku, string title, decimal price, long sold) => new()
        {
            Sku = sku, Title = title, CategoryPath = ["home", title.Split(' ')[^1].ToLowerInvariant()], Price = price,
            Variants = [new ProductVariant { VariantId = sku + "A", UnitsSold = sold }, new ProductVariant { VariantId = sku + "B", UnitsSold = sold / 2 }],
        };
        foreach (var p in new[] { Product("85099", "JUMBO BAG", 1.95m, 2400), Product("22328", "SNACK BOX", 2.95m, 900), Product("20725", "LUNCH BAG", 1.65m, 1500) })
            web.Publisher.Publish(Topics.Catalog, p.Sku, JsonSerializer.SerializeToUtf8Bytes(p, ContractsJson.Default.ProductUpserted));
        await web.Publisher.FlushAsync();
    }
}

public sealed class ShopTests(ShopFixture shop) : IClassFixture<ShopFixture>
{
    private WebHostFixture Web => shop.Web;

    /// <summary>The catalog once the replicated table holds every published product: it fills one upsert at a time, so "some" is not "all".</summary>
    private async Task<ShopProduct[]> CatalogAsync(string query = "", int expected = 3)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var products = JsonSerializer.Deserialize(await Web.Http.GetStringAsync($"/shop/api/catalog?q={query}"), Api.WebJson.Default.ShopProductArray)!;
            if (products.Length >= expected || DateTime.UtcNow > deadline) return products;
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task The_catalog_lists_best_sellers_first_with_the_best_selling_variant_and_filters_by_title()
    {
        var products = await CatalogAsync();

        Assert.Equal(["85099", "20725", "22328"], products.Select(p => p.Sku));
        Assert.Equal(("85099A", 1.95m), (products[0].VariantId, products[0].Price));
        Assert.Equal(["85099", "20725"], (await CatalogAsync("bag", expected: 2)).Select(p => p.Sku));
    }

    [Fact]
    public async Task Adding_from_the_catalog_and_with_one_click_fills_the_cart_and_checkout_publishes_the_order_with_each_line_source()
    {
        await CatalogAsync();
        const string visit = """{"sessionId":"s-shop","visitorId":"v-shop"}""";
        using var add = await Web.PostJsonAsync("/shop/api/carts/cart-shop/items", """{"sku":"85099","quantity":2,"sessionId":"s-shop","visitorId":"v-shop"}""");
        using var oneClick = await Web.PostJsonAsync("/v1/carts/cart-shop/items",
            """{"cartId":"cart-shop","sku":"22328","variantId":"22328B","quantity":1,"source":"cross-sell-widget","sessionId":"s-shop","visitorId":"v-shop","unitPrice":2.95}""");
        using var view = await Web.PostJsonAsync("/shop/api/carts/cart-shop/view", visit);
        var cart = JsonSerializer.Deserialize(await Web.Http.GetStringAsync("/shop/api/carts/cart-shop"), Api.WebJson.Default.ShopCartView)!;

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted], new[] { add.StatusCode, oneClick.StatusCode, view.StatusCode });
        Assert.Equal([("85099", "85099A", 2, EventSources.Storefront), ("22328", "22328B", 1, EventSources.CrossSellWidget)],
            cart.Lines.Select(l => (l.Sku, l.VariantId!, l.Quantity, l.Source)));
        Assert.Equal(2 * 1.95m + 2.95m, cart.Total);

        using var checkout = await Web.PostJsonAsync("/shop/api/carts/cart-shop/checkout", visit);
        Assert.Equal(HttpStatusCode.Created, checkout.StatusCode);
        var placed = JsonSerializer.Deserialize(await checkout.Content.ReadAsStringAsync(), Api.WebJson.Default.ShopOrderPlaced)!;
        var order = TopicProbe.ReadToEnd(Web.Kafka.Options, Topics.OrderEvents, TimeSpan.FromSeconds(20))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.OrderCompleted)!)
            .Single(o => o.OrderId == placed.OrderId);
        Assert.Equal(("cart-shop", "s-shop", "v-shop"), (order.CartId, order.SessionId, order.VisitorId));
        Assert.Equal([("85099", 2, 1.95m, EventSources.Storefront), ("22328", 1, 2.95m, EventSources.CrossSellWidget)],
            order.Lines.Select(l => (l.Sku, l.Quantity, l.UnitPrice, l.Source)));
        Assert.Empty(JsonSerializer.Deserialize(await Web.Http.GetStringAsync("/shop/api/carts/cart-shop"), Api.WebJson.Default.ShopCartView)!.Lines);
        var cartEvents = TopicProbe.ReadToEnd(Web.Kafka.Options, Topics.CartEvents, TimeSpan.FromSeconds(20)).Where(r => r.Message.Key == "cart-shop")
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.CartEvent)!.Type);
        Assert.Equal([CartEventType.ItemAdded, CartEventType.ItemAdded, CartEventType.CartViewed], cartEvents);
    }

    [Fact]
    public async Task Checking_out_an_empty_cart_adding_an_unknown_sku_or_leaving_out_the_session_is_refused()
    {
        await CatalogAsync();
        using var empty = await Web.PostJsonAsync("/shop/api/carts/cart-empty/checkout", """{"sessionId":"s"}""");
        using var unknown = await Web.PostJsonAsync("/shop/api/carts/cart-x/items", """{"sku":"nope","sessionId":"s"}""");
        using var noSession = await Web.PostJsonAsync("/shop/api/carts/cart-x/items", """{"sku":"85099"}""");

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("is empty", await empty.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noSession.StatusCode);
        Assert.Contains("sessionId is required", await noSession.Content.ReadAsStringAsync());
    }
    [Fact]
    public async Task A_checkout_whose_order_is_refused_leaves_the_cart_as_it_was()
    {
        await CatalogAsync();
        // Two adds of one sku merge into a line above the contract's quantity limit: the order is refused.
        for (var i = 0; i < 2; i++)
        {
            using var add = await Web.PostJsonAsync("/shop/api/carts/cart-big/items", """{"sku":"85099","quantity":6000,"sessionId":"s-big"}""");
            Assert.Equal(HttpStatusCode.Accepted, add.StatusCode);
        }
        using var checkout = await Web.PostJsonAsync("/shop/api/carts/cart-big/checkout", """{"sessionId":"s-big"}""");

        Assert.Equal(HttpStatusCode.BadRequest, checkout.StatusCode);
        var cart = JsonSerializer.Deserialize(await Web.Http.GetStringAsync("/shop/api/carts/cart-big"), Api.WebJson.Default.ShopCartView)!;
        Assert.Equal(12_000, Assert.Single(cart.Lines).Quantity);
    }
}
