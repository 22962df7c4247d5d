using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCrossSell.Contracts;

/// <summary>
/// A time with an explicit offset (<c>Z</c> or <c>±hh:mm</c>), as the schemas' <c>date-time</c> requires. System.Text.Json
/// reads one without as the local time of whichever machine reads it, so one rules file would mean another validity
/// window on a merchandiser's laptop in New York than in the service: refused instead, naming the value.
/// </summary>
public sealed class OffsetDateTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text is null || !HasOffset(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            throw new JsonException($"'{text}' is not an ISO 8601 date and time with an offset (such as 2011-12-01T00:00:00Z)");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    /// <summary>Whether the time part ends in Z or carries a signed offset.</summary>
    private static bool HasOffset(string text)
    {
        var t = text.IndexOfAny(['T', 't', ' ']);
        if (t < 0) return false;
        var time = text.AsSpan(t + 1).Trim();
        return time.EndsWith("Z") || time.EndsWith("z") || time.IndexOfAny('+', '-') > 0;
    }
}
