using System.Text;

namespace CartCrossSell.OrderHistory;

/// <summary>One CSV record: the 1-based line it starts on, its fields, or why it could not be split.</summary>
internal readonly record struct CsvRecord(int Line, IReadOnlyList<string> Fields, string? Error);

/// <summary>
/// A small RFC 4180 reader: comma separated, fields optionally in double quotes, a doubled quote inside a quoted
/// field is a quote, a quoted field may hold commas and line breaks (the record then reports the line it starts
/// on). A quote inside an unquoted field is taken literally. Blank lines, whitespace only included, are skipped.
/// </summary>
internal static class Csv
{
    public static IEnumerable<CsvRecord> ReadRecords(TextReader reader)
    {
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            string? error = null;
            var i = 0;
            var inQuotes = false;
            var fieldWasQuoted = false;
            while (true)
            {
                if (i >= text.Length)
                {
                    if (inQuotes)
                    {
                        if (reader.ReadLine() is { } next)
                        {
                            line++;
                            field.Append('\n');
                            text = next;
                            i = 0;
                            continue;
                        }
                        error = "a quoted field is not closed before the end of the file";
                    }
                    fields.Add(field.ToString());
                    break;
                }
                var c = text[i];
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        inQuotes = false;
                        i++;
                        if (i < text.Length && text[i] != ',')
                        {
                            error ??= $"unexpected character '{text[i]}' after a closing quote in field {fields.Count + 1}";
                        }
                        continue;
                    }
                    field.Append(c);
                    i++;
                    continue;
                }
                if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    i++;
                    continue;
                }
                if (c == '"' && field.Length == 0 && !fieldWasQuoted)
                {
                    inQuotes = true;
                    fieldWasQuoted = true;
                    i++;
                    continue;
                }
                field.Append(c);
                i++;
            }
            yield return new CsvRecord(start, fields, error);
        }
    }
}
