using CartCrossSell.Contracts;
using CartCrossSell.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartCrossSell.Web.Shop;

public sealed record ShopAddRequest
{
    public string? Sku { get; init; }
    public int? Quantity { get; init; }
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
}

public sealed record ShopVisitRequest
{
    public string? SessionId { get; init; }
    public string? VisitorId { get; init; }
}

public sealed record ShopOrderPlaced(string OrderId, decimal Total, IReadOnlyList<ShopCartLine> Lines);

/// <summary>
/// The demo shop (<c>/shop</c>): a catalog list and a cart page built on the widget. Its storefront calls publish
/// what a real storefront publishes: <c>itemAdded</c> (source storefront), <c>itemRemoved</c>, <c>cartViewed</c> when the cart page
/// renders, and <c>orderCompleted</c> at checkout, like the simulator does, so its orders reach the experiment figures.
/// </summary>
public static class ShopEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/shop", WidgetAssets.ShopPage.ServeAsync);
        app.MapGet("/shop/api/catalog", ListCatalog);
        app.MapGet("/shop/api/carts/{cartId}", context => WithCart(context, GetCart));
        app.MapPost("/shop/api/carts/{cartId}/items", context => WithCart(context, AddAsync));
        app.MapPost("/shop/api/carts/{cartId}/items/{sku}/remove", context => WithCart(context, RemoveAsync));
        app.MapPost("/shop/api/carts/{cartId}/view", context => WithCart(context, ViewAsync));
        app.MapPost("/shop/api/carts/{cartId}/checkout", context => WithCart(context, CheckoutAsync));
    }

    private static async Task ListCatalog(HttpContext context)
    {
        var query = context.Request.Query["q"].ToString();
        var limit = int.TryParse(context.Request.Query["limit"], out var n) ? n : 24;
        await Results.Json(context.RequestServices.GetRequiredService<ShopCatalog>().List(query, limit).ToArray(), WebJson.Default.ShopProductArray).ExecuteAsync(context);
    }

    private static async Task WithCart(HttpContext context, Func<string, HttpContext, Task<IResult>> handle)
    {
        var result = RequestReading.ReadCartId(context, out var cartId) ?? await handle(cartId, context);
        await result.ExecuteAsync(context);
    }

    private static Task<IResult> GetCart(string cartId, HttpContext context) =>
        Task.FromResult(Results.Json(context.RequestServices.GetRequiredService<ShopCarts>().View(cartId), WebJson.Default.ShopCartView));

    private static async Task<IResult> AddAsync(string cartId, HttpContext context)
    {
        var (add, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.ShopAddRequest, context.RequestAborted);
        if (refusal is not null) return refusal;
        if (string.IsNullOrWhiteSpace(add!.Sku)) return RequestReading.BadRequest("sku is required");
        if (context.RequestServices.GetRequiredService<ShopCatalog>().Find(add.Sku) is not { } product)
            return RequestReading.Refuse(StatusCodes.Status404NotFound, "unknown product", $"sku '{add.Sku}' is not in the catalog");
        return await PublishAsync(context, Event(cartId, add.SessionId, add.VisitorId, CartEventType.ItemAdded) with
        {
            Sku = product.Sku, VariantId = product.VariantId, Quantity = add.Quantity ?? 1, UnitPrice = product.Price, Currency = product.Currency,
        });
    }

    private static async Task<IResult> RemoveAsync(string cartId, HttpContext context)
    {
        var (visit, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.ShopVisitRequest, context.RequestAborted);
        if (refusal is not null) return refusal;
        var sku = (string)context.Request.RouteValues["sku"]!;
        return await PublishAsync(context, Event(cartId, visit!.SessionId, visit.VisitorId, CartEventType.ItemRemoved) with { Sku = sku });
    }

    private static async Task<IResult> ViewAsync(string cartId, HttpContext context)
    {
        var (visit, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.ShopVisitRequest, context.RequestAborted);
        if (refusal is not null) return refusal;
        return await PublishAsync(context, Event(cartId, visit!.SessionId, visit.VisitorId, CartEventType.CartViewed));
    }

    private static async Task<IResult> CheckoutAsync(string cartId, HttpContext context)
    {
        var (visit, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.ShopVisitRequest, context.RequestAborted);
        if (refusal is not null) return refusal;
        var carts = context.RequestServices.GetRequiredService<ShopCarts>();
        // Taken atomically before the publish, so a double click cannot publish the cart twice; put back if the order
        // is refused (the gateway validates it) or the broker does not answer, so the cart is as it was.
        var lines = carts.Take(cartId);
        if (lines.Count == 0) return RequestReading.BadRequest($"cart '{cartId}' is empty: nothing to check out");
        var order = new OrderCompleted
        {
            EventId = Guid.NewGuid().ToString("D"), OrderId = "shop-" + Guid.NewGuid().ToString("N")[..12], CartId = cartId,
            SessionId = visit!.SessionId, VisitorId = visit.VisitorId, Timestamp = TimeProvider.System.GetUtcNow(),
            Lines = lines.Select(l => new OrderLine { Sku = l.Sku, VariantId = l.VariantId, Quantity = l.Quantity, UnitPrice = l.UnitPrice, Source = l.Source }).ToList(),
        };
        Publication published;
        try
        {
            published = await context.RequestServices.GetRequiredService<CartEventGateway>().PublishAsync(order, context.RequestAborted);
        }
        catch
        {
            carts.Restore(cartId, lines);
            throw;
        }
        if (!published.Published)
        {
            carts.Restore(cartId, lines);
            return RequestReading.BadRequest(published.Problems);
        }
        return Results.Json(new ShopOrderPlaced(order.OrderId, lines.Sum(l => l.UnitPrice * l.Quantity), lines), WebJson.Default.ShopOrderPlaced, statusCode: StatusCodes.Status201Created);
    }

    private static CartEvent Event(string cartId, string? sessionId, string? visitorId, CartEventType type) => new()
    {
        EventId = Guid.NewGuid().ToString("D"), Type = type, CartId = cartId, SessionId = sessionId!, VisitorId = visitorId,
        Timestamp = TimeProvider.System.GetUtcNow(), Source = EventSources.Storefront,
    };

    private static async Task<IResult> PublishAsync(HttpContext context, CartEvent e)
    {
        var published = await context.RequestServices.GetRequiredService<CartEventGateway>().PublishAsync(e, context.RequestAborted);
        return CrossSellApi.Answer(published, e.EventId, valueVersion: published.Offset);
    }
}
