using System.Globalization;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// ISO 8601 times as the order files and the command line take them: a date, or a date and time (T or a space) with or
/// without seconds, fractions and an offset (none: UTC). Only these: the invariant culture would also read 12/05/2020,
/// as the fifth of December, where a European file meant the twelfth of May.
/// </summary>
public static class IsoTime
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text.Trim(), Formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}
