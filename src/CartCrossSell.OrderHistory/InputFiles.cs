using System.Text;

namespace CartCrossSell.OrderHistory;

internal static class InputFiles
{
    /// <summary>Opens a UTF-8 text file (a byte order mark is skipped), or throws naming the missing path.</summary>
    public static StreamReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file '{path}' does not exist.", path);
        return new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }
}

internal static class JsonLines
{
    /// <summary>The non-blank lines of a JSON Lines file with their 1-based line numbers.</summary>
    public static IEnumerable<(int Line, string Text)> Lines(string path)
    {
        using var reader = InputFiles.Open(path);
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Trim().Length == 0) continue;
            yield return (line, text);
        }
    }

    /// <summary>
    /// A JSON error for a reader who has the file's line number already: System.Text.Json's own position ("LineNumber:
    /// 0", counted from 0 within the text it parsed) beside a file's line read as a contradiction, so it becomes the
    /// field (its JSON path) and, when the text parsed is the line as written, the byte of the line.
    /// </summary>
    public static string Describe(System.Text.Json.JsonException e, bool textAsWritten = true)
    {
        var text = Message(e);
        var where = new List<string>(2);
        if (e.Path is { Length: > 1 } path) where.Add($"at {path}");
        if (textAsWritten && e.BytePositionInLine is { } at) where.Add($"byte {at + 1} of the line");
        return where.Count == 0 ? text : $"{text} ({string.Join(", ", where)})";
    }

    /// <summary>The error alone, without System.Text.Json's path and position (for a caller that names the field itself).</summary>
    public static string Message(System.Text.Json.JsonException e)
    {
        var cut = e.Message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = e.Message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? e.Message : e.Message[..cut]).TrimEnd().TrimEnd('.');
    }
}
