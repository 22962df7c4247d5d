using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace CartCrossSell.Web.Api;

/// <summary>Reads a JSON request body and turns every way it can be wrong into a 400 that names the field.</summary>
public static class RequestReading
{
    public const int MaxIdLength = Contracts.ContractValidation.MaxIdLength;

    /// <summary>The body as <typeparamref name="T"/>, or the 400/413/415 to answer instead.</summary>
    public static async Task<(T? Value, IResult? Refusal)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsJson(request.ContentType))
            return (null, Refuse(StatusCodes.Status415UnsupportedMediaType, "unsupported media type",
                $"body must be application/json, was {(request.ContentType is { } type ? $"'{type}'" : "without a Content-Type")}"));
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken);
            return value is null ? (null, BadRequest("body must be a JSON object, was null")) : (value, null);
        }
        catch (JsonException e)
        {
            // System.Text.Json says where (a JSON path such as $.quantity); the field is what the caller must fix.
            return (null, BadRequest(e.Path is { Length: > 2 } path
                ? $"{path[2..]} has a value of the wrong type (or the JSON around it is malformed)"
                : $"body is not a JSON object of this request (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Refuse(StatusCodes.Status413PayloadTooLarge, "request too large", e.Message));
        }
    }

    /// <summary>Whether a Content-Type names JSON: <c>application/json</c> or a <c>+json</c> type, parameters allowed.</summary>
    private static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is { } name
        && (name.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (name.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && name.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The cart id of a <c>…/carts/{cartId}/…</c> request, decoded from the path as sent, or the 400 to answer. The route
    /// value leaves an encoded slash (<c>%2F</c>) encoded while decoding every other escape, so a cart id with a slash
    /// would be read as another (<c>a/b</c> sent as <c>a%2Fb</c> read as the id <c>a%2Fb</c>); a path whose cart
    /// segment cannot be told (dot segments) is refused rather than guessed.
    /// </summary>
    public static IResult? ReadCartId(HttpContext context, out string cartId)
    {
        cartId = (string)context.Request.RouteValues["cartId"]!;
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw) && cartId.Contains('%'))
        {
            var path = raw.Split('?', 2)[0];
            if (Uri.TryCreate(path, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https") path = absolute.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
            var segments = path.Split('/').Select(Uri.UnescapeDataString).ToArray();
            var raws = path.Split('/');
            var at = Array.FindIndex(segments, s => s.Equals("carts", StringComparison.OrdinalIgnoreCase));
            if (at < 0 || at + 1 >= raws.Length || segments.Any(s => s is "." or ".."))
                return BadRequest("the cart id could not be read from the path as sent");
            cartId = Uri.UnescapeDataString(raws[at + 1]);
        }
        return CheckCartId(cartId);
    }

    /// <summary>A cart id from the route: 1 to 128 characters, not only white space (the contract's rule for ids).</summary>
    public static IResult? CheckCartId(string cartId) =>
        string.IsNullOrWhiteSpace(cartId) ? BadRequest("cartId is required")
        : cartId.Length > MaxIdLength ? BadRequest($"cartId is longer than {MaxIdLength} characters")
        : null;

    public static IResult BadRequest(params IReadOnlyList<string> errors) => Refuse(StatusCodes.Status400BadRequest, "invalid request", errors);

    public static IResult Refuse(int status, string title, params IReadOnlyList<string> errors) =>
        Results.Json(new Problem(status, title, errors), WebJson.Default.Problem, "application/problem+json", status);
}
