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
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Refuse(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", $"body must be application/json, was '{type}'"));
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

    /// <summary>A cart id from the route: 1 to 128 characters, not only white space (the contract's rule for ids).</summary>
    public static IResult? CheckCartId(string cartId) =>
        string.IsNullOrWhiteSpace(cartId) ? BadRequest("cartId is required")
        : cartId.Length > MaxIdLength ? BadRequest($"cartId is longer than {MaxIdLength} characters")
        : null;

    public static IResult BadRequest(params IReadOnlyList<string> errors) => Refuse(StatusCodes.Status400BadRequest, "invalid request", errors);

    public static IResult Refuse(int status, string title, params IReadOnlyList<string> errors) =>
        Results.Json(new Problem(status, title, errors), WebJson.Default.Problem, "application/problem+json", status);
}
