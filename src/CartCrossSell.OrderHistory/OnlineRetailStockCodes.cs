using System.Diagnostics.CodeAnalysis;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// The stock code rules of the Online Retail data set (see docs/data.md):
/// <list type="bullet">
/// <item>a product code is five digits, optionally followed by a one- or two-letter suffix (85123A, 15056BL, 22752);
/// every other code (POST, D, M, C2, DOT, BANK CHARGES, AMAZONFEE, PADS, CRUK, S, B, DCGS..., gift_...) is a
/// postage, fee, discount, manual or adjustment line and not a product;</item>
/// <item>a suffixed code is a colour or design variant of the product named by its five digits: sku = the digits,
/// variant id = the full code; a plain code is a product with one variant whose id is the code itself.</item>
/// </list>
/// Codes are compared after trimming and upper-casing (a few copies of the data set have lower-case suffixes).
/// </summary>
public static class OnlineRetailStockCodes
{
    /// <summary>The normalised form of a stock code: trimmed, upper case.</summary>
    public static string Normalize(string stockCode) => stockCode.Trim().ToUpperInvariant();

    public static bool IsProduct(string stockCode) => TrySplit(stockCode, out _, out _);

    /// <summary>Splits a product code into its sku (the five digits) and variant id (the full code).</summary>
    public static bool TrySplit(string stockCode, [NotNullWhen(true)] out string? sku, [NotNullWhen(true)] out string? variantId)
    {
        sku = null;
        variantId = null;
        var code = Normalize(stockCode);
        if (code.Length is < 5 or > 7) return false;
        for (var i = 0; i < 5; i++)
            if (!char.IsAsciiDigit(code[i])) return false;
        for (var i = 5; i < code.Length; i++)
            if (!char.IsAsciiLetterUpper(code[i])) return false;
        sku = code[..5];
        variantId = code;
        return true;
    }

    /// <summary>The variant suffix of a product code ("B" for 85099B), or empty for a plain code.</summary>
    public static string Suffix(string variantId) => variantId.Length > 5 ? variantId[5..] : "";
}
