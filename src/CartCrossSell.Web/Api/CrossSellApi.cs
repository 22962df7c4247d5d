using System.Text.Json;
using CartCrossSell.Contracts;
using CartCrossSell.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace CartCrossSell.Web.Api;

/// <summary>
/// The storefront's API: the cart's Redis value over HTTP (for a storefront that cannot reach Redis), the one-click
/// add, and impressions. No logic of its own: the value is served as stored, events are checked by the contract rules.
/// </summary>
public static class CrossSellApi
{
    public const string AddOnsRoute = "/v1/carts/{cartId}/add-ons";
    public const string ItemsRoute = "/v1/carts/{cartId}/items";
    public const string ImpressionsRoute = "/v1/impressions";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(AddOnsRoute, GetAddOnsAsync);
        app.MapPost(ItemsRoute, AddItemAsync);
        app.MapPost(ImpressionsRoute, PostImpressionAsync);
    }

    /// <summary>
    /// 200 with the value as stored and <c>ETag: "{version}"</c>; 304 when <c>If-None-Match</c> names that version;
    /// 404 when the cart has no value (yet, or its TTL passed); 400 for a bad cart id; 503 while Redis cannot answer.
    /// </summary>
    public static async Task GetAddOnsAsync(HttpContext context)
    {
        if (RequestReading.ReadCartId(context, out var cartId) is { } bad)
        {
            await bad.ExecuteAsync(context);
            return;
        }
        var store = context.RequestServices.GetRequiredService<RecommendationStore>();
        var stored = await store.ReadStoredAsync(cartId, context.RequestAborted);
        var response = context.Response;
        response.Headers.CacheControl = "no-cache";
        if (stored is null)
        {
            await RequestReading.Refuse(StatusCodes.Status404NotFound, "no value", $"cart '{cartId}' has no cross-sell value yet").ExecuteAsync(context);
            return;
        }
        if (VersionOf(stored) is { } version)
        {
            var etag = $"\"{version}\"";
            response.Headers.ETag = etag;
            if (Matches(context.Request.Headers.IfNoneMatch, etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = stored.Length;
        await response.Body.WriteAsync(stored, context.RequestAborted);
    }

    /// <summary>The one-click add: 202 with where the <c>itemAdded</c> landed (its offset is the version of the value that answers it); 400 naming the field.</summary>
    public static async Task AddItemAsync(HttpContext context)
    {
        var result = RequestReading.ReadCartId(context, out var cartId) ?? await AddItemAsync(context, cartId);
        await result.ExecuteAsync(context);
    }

    private static async Task<IResult> AddItemAsync(HttpContext context, string cartId)
    {
        var (add, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.OneClickAddRequest, context.RequestAborted);
        if (refusal is not null) return refusal;
        var problems = new List<string>();
        if (add!.CartId is { } bodyCart && bodyCart != cartId) problems.Add($"cartId in the body ('{bodyCart}') differs from the cart in the path ('{cartId}')");
        if (add.Source is { } source && source != EventSources.CrossSellWidget)
            problems.Add($"source must be '{EventSources.CrossSellWidget}' (this endpoint is the widget's one-click add), was '{source}'");
        if (string.IsNullOrWhiteSpace(add.VariantId)) problems.Add("variantId is required (the add-on's preselected variant)");
        var e = new CartEvent
        {
            EventId = Guid.NewGuid().ToString("D"), Type = CartEventType.ItemAdded, CartId = cartId, SessionId = add.SessionId!, VisitorId = add.VisitorId,
            Sku = add.Sku, VariantId = add.VariantId, Quantity = add.Quantity ?? 1, UnitPrice = add.UnitPrice, Currency = add.Currency ?? "GBP",
            Timestamp = TimeProvider.System.GetUtcNow(), Source = EventSources.CrossSellWidget,
        };
        if (problems.Count > 0) return RequestReading.BadRequest([.. problems, .. ContractValidation.Validate(e)]);
        var published = await context.RequestServices.GetRequiredService<CartEventGateway>().PublishAsync(e, context.RequestAborted);
        return Answer(published, e.EventId, valueVersion: published.Offset);
    }

    /// <summary>202 once the impression is on <c>cross-sell-impressions</c>; 400 naming the field.</summary>
    public static async Task PostImpressionAsync(HttpContext context)
    {
        var (request, refusal) = await RequestReading.ReadAsync(context.Request, WebJson.Default.ImpressionRequest, context.RequestAborted);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(context);
            return;
        }
        var impression = new CrossSellImpression
        {
            EventId = Guid.NewGuid().ToString("D"), CartId = request!.CartId!, SessionId = request.SessionId, VisitorId = request.VisitorId,
            ValueVersion = request.ValueVersion ?? 0, Skus = request.Skus ?? [], ModelVersion = request.ModelVersion!,
            Timestamp = TimeProvider.System.GetUtcNow(),
        };
        IResult result;
        if (request.ValueVersion is null) result = RequestReading.BadRequest(["valueVersion is required", .. ContractValidation.Validate(impression)]);
        else
        {
            var published = await context.RequestServices.GetRequiredService<CartEventGateway>().PublishAsync(impression, context.RequestAborted);
            result = Answer(published, impression.EventId, valueVersion: null);
        }
        await result.ExecuteAsync(context);
    }

    /// <summary>202 with where the event landed, or 400 with the contract's problems.</summary>
    public static IResult Answer(Publication published, string eventId, long? valueVersion) =>
        published.Published
            ? Results.Json(new Accepted(eventId, published.Partition, published.Offset, valueVersion), WebJson.Default.Accepted, statusCode: StatusCodes.Status202Accepted)
            : RequestReading.BadRequest(published.Problems);

    /// <summary>The top-level <c>version</c> of a stored value, read without materialising the value.</summary>
    public static long? VersionOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("version"u8))
                    return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : null;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1) reader.Skip();
            }
        }
        catch (JsonException)
        {
            // not JSON: served as stored, without an ETag
        }
        return null;
    }

    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        if (StringValues.IsNullOrEmpty(ifNoneMatch)) return false;
        if (!EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)) return false;
        var current = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }
}
