namespace CartCrossSell.Topologies;

/// <summary>
/// Bounds of a state record's JSON size without encoding it (carts, session logs): every character counted as the six
/// bytes of a <c>\uXXXX</c> escape, which the JSON writer uses for everything outside printable ASCII and some ASCII too.
/// </summary>
internal static class EncodedBound
{
    private const int BytesPerCharacter = 6;

    /// <summary>The most bytes <paramref name="text"/> can take encoded, quotes and framing aside.</summary>
    public static long Text(string? text) => BytesPerCharacter * (long)(text?.Length ?? 0);
}
