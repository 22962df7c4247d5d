using System.Globalization;

namespace CartCrossSell.Engine;

/// <summary>
/// The documented size mapping (docs/engine.md, "Size and colour"): how a size in the cart tells the size of an
/// add-on in another category.
/// <list type="number">
/// <item>The same size value in any category ("M" in a T-shirt preselects "M" shorts); letter sizes are normalised
/// (Small = S, Medium = M, Large = L, Extra Large = XL, 2XL = XXL, 3XL = XXXL).</item>
/// <item>A shoe size preselects a sock size range that contains it ("39-42" for shoe size 42), or the sock letter size
/// for it: EU 35-38 = S, 39-42 = M, 43-46 = L, 47-50 = XL.</item>
/// <item>Shoe sizes are EU sizes 30 to 50; "UK n" is EU n + 34 and "US n" is EU n + 33 (adult approximations).</item>
/// </list>
/// Nothing else is guessed: a size that no rule maps leaves the variant undecided.
/// </summary>
public static class SizeMapping
{
    private static readonly string[] LetterOrder = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"];

    private static readonly (int Low, int High, string Letter)[] SockLetters =
        [(35, 38, "S"), (39, 42, "M"), (43, 46, "L"), (47, 50, "XL")];

    public static bool IsSizeAttribute(string attribute) => attribute.Contains("size", StringComparison.OrdinalIgnoreCase);

    /// <summary>Letter size in canonical form (S, M, XL, ...), or null.</summary>
    public static string? NormalizeLetter(string value)
    {
        var v = value.Trim().ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal);
        v = v switch
        {
            "EXTRA SMALL" => "XS",
            "SMALL" => "S",
            "MEDIUM" => "M",
            "LARGE" => "L",
            "EXTRA LARGE" => "XL",
            "2XL" or "XX LARGE" => "XXL",
            "3XL" => "XXXL",
            _ => v,
        };
        return Array.IndexOf(LetterOrder, v) >= 0 ? v : null;
    }

    /// <summary>An EU shoe size (30 to 50) from "42", "EU 42", "42.5", "UK 8", "US 9"; otherwise null.</summary>
    public static double? ShoeSizeEu(string value)
    {
        var v = value.Trim().ToUpperInvariant();
        var offset = 0.0;
        if (v.StartsWith("EU", StringComparison.Ordinal)) v = v[2..];
        else if (v.StartsWith("UK", StringComparison.Ordinal)) { v = v[2..]; offset = 34; }
        else if (v.StartsWith("US", StringComparison.Ordinal)) { v = v[2..]; offset = 33; }
        if (!double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return null;
        n += offset;
        return n is >= 30 and <= 50 ? n : null;
    }

    /// <summary>An EU size range such as "39-42" or "EU 39-42", or null.</summary>
    public static (double Low, double High)? Range(string value)
    {
        var v = value.Trim().ToUpperInvariant();
        if (v.StartsWith("EU", StringComparison.Ordinal)) v = v[2..];
        var parts = v.Split(['-', '–', '/'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) return null;
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)) return null;
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)) return null;
        return low <= high && low >= 20 && high <= 55 ? (low, high) : null;
    }

    /// <summary>
    /// The candidate size value that <paramref name="cartSize"/> maps to, with the rule that mapped it, or null.
    /// </summary>
    public static (string Value, string Rule)? Map(string cartSize, IReadOnlyCollection<string> candidateSizes)
    {
        // 1. The same value, or the same letter size.
        foreach (var c in candidateSizes)
            if (string.Equals(c.Trim(), cartSize.Trim(), StringComparison.OrdinalIgnoreCase))
                return (c, "same size");
        var letter = NormalizeLetter(cartSize);
        if (letter is not null)
            foreach (var c in candidateSizes)
                if (NormalizeLetter(c) == letter)
                    return (c, "same size");

        var shoe = ShoeSizeEu(cartSize);
        if (shoe is null) return null;
        // Same shoe size written differently ("42" and "EU 42").
        foreach (var c in candidateSizes)
            if (ShoeSizeEu(c) is { } other && Math.Abs(other - shoe.Value) < 0.01)
                return (c, "same shoe size");
        // 2. Shoe size to a sock size range, then to a sock letter size.
        foreach (var c in candidateSizes)
            if (Range(c) is { } r && shoe.Value >= r.Low && shoe.Value <= r.High + 0.5)
                return (c, "sock size range for shoe size");
        foreach (var (low, high, sockLetter) in SockLetters)
        {
            if (shoe.Value < low || shoe.Value > high + 0.5) continue;
            foreach (var c in candidateSizes)
                if (NormalizeLetter(c) == sockLetter)
                    return (c, "sock size for shoe size");
        }
        return null;
    }
}
