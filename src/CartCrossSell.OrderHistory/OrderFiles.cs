using System.Globalization;
using System.Text;
using System.Text.Json;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// Reads past orders from a file, detecting its format from the first non-blank line:
/// a line starting with <c>{</c> means JSON Lines of <see cref="OrderCompleted"/> events; a CSV header with
/// InvoiceNo, StockCode, Description, Quantity, InvoiceDate and UnitPrice means the UCI Online Retail CSV; a CSV
/// header with <c>order_id</c> and <c>sku</c> means the generic order CSV. Bad lines are reported as
/// <see cref="ReadProblem"/>s and skipped; only a missing file or an unusable header throws.
/// </summary>
public static class OrderFiles
{
    /// <summary>The Online Retail columns the reader needs; CustomerID and Country are optional.</summary>
    public static readonly IReadOnlyList<string> OnlineRetailColumns =
        ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"];

    /// <summary>
    /// Other names of the Online Retail columns: the same wholesaler's "Online Retail II" export (UCI, 2009-2011) calls
    /// them <c>Invoice</c>, <c>Price</c> and <c>Customer ID</c>, with the same values; a store's earlier year comes
    /// that way.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> OnlineRetailAliases = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["InvoiceNo"] = ["InvoiceNo", "Invoice"],
        ["UnitPrice"] = ["UnitPrice", "Price"],
        ["CustomerID"] = ["CustomerID", "Customer ID"],
    };

    /// <summary>The generic CSV's product column: <c>sku</c>, or <c>product_id</c> as many stores' exports (a grocer's order lines among them) name it.</summary>
    private static readonly string[] GenericSkuColumns = ["sku", "product_id"];

    private static string[] NamesOf(string column) => OnlineRetailAliases.TryGetValue(column, out var names) ? names : [column];

    /// <summary>Online Retail dates: the shared file's format first, then the original UCI export's.</summary>
    private static readonly string[] OnlineRetailDateFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "M/d/yyyy H:mm", "M/d/yyyy H:mm:ss"];

    /// <summary>The first time of a <see cref="OrderFileFormat.BasketLines"/> file (its lines are a minute apart).</summary>
    public static readonly DateTimeOffset BasketLinesEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static OrderReadResult Read(string path, OrderFileFormat? format = null)
    {
        format ??= DetectFormat(path);
        return format switch
        {
            OrderFileFormat.BasketLines => ReadBasketLines(path),
            OrderFileFormat.OrderEventsJsonLines => ReadOrderEvents(path),
            OrderFileFormat.OnlineRetail => ReadOnlineRetail(path),
            _ => ReadGenericCsv(path),
        };
    }

    /// <summary>The format of an order file, from its first non-blank line. Throws when it is none of the three.</summary>
    public static OrderFileFormat DetectFormat(string path)
    {
        using var reader = InputFiles.Open(path);
        string? first = null;
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length == 0) continue;
            first = line.Trim();
            break;
        }
        if (first is null) throw new InvalidDataException($"Order file '{path}' is empty: no header and no events.");
        if (first.StartsWith('{')) return OrderFileFormat.OrderEventsJsonLines;
        var header = Csv.ReadRecords(new StringReader(first)).First().Fields.Select(f => f.Trim()).ToList();
        if (OnlineRetailColumns.All(c => NamesOf(c).Any(n => header.Contains(n, StringComparer.OrdinalIgnoreCase))))
            return OrderFileFormat.OnlineRetail;
        if (header.Contains("order_id", StringComparer.OrdinalIgnoreCase) && GenericSkuColumns.Any(c => header.Contains(c, StringComparer.OrdinalIgnoreCase)))
            return OrderFileFormat.GenericCsv;
        throw new InvalidDataException(
            $"Order file '{path}' has an unusable header '{first}': expected the Online Retail columns " +
            $"({string.Join(",", OnlineRetailColumns)},CustomerID,Country; or Online Retail II's Invoice, Price and Customer ID), a CSV header with order_id and sku, " +
            "or JSON Lines of OrderCompleted events.");
    }

    private static OrderReadResult ReadOnlineRetail(string path)
    {
        var problems = new List<ReadProblem>();
        var orders = new OrderAccumulator();
        var invoices = new HashSet<string>(StringComparer.Ordinal);
        var cancelled = new HashSet<string>(StringComparer.Ordinal);
        var stockCodes = new HashSet<string>(StringComparer.Ordinal);
        var nonProduct = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var pool = new StringPool();
        int dataLines = 0, cancellationLines = 0, nonProductLines = 0, quantityLines = 0, priceLines = 0;

        using var reader = InputFiles.Open(path);
        using var records = Csv.ReadRecords(reader).GetEnumerator();
        var columns = Header(records, path);
        int invoiceAt = columns.Required(NamesOf("InvoiceNo")), codeAt = columns.Required("StockCode"),
            descriptionAt = columns.Required("Description"), quantityAt = columns.Required("Quantity"),
            dateAt = columns.Required("InvoiceDate"), priceAt = columns.Required(NamesOf("UnitPrice"));
        var customerAt = columns.Optional(NamesOf("CustomerID"));
        string invoiceColumn = columns.Name(invoiceAt), priceColumn = columns.Name(priceAt);

        while (records.MoveNext())
        {
            var record = records.Current;
            dataLines++;
            if (!columns.CheckShape(record, path, problems)) continue;
            var f = record.Fields;
            var invoice = f[invoiceAt].Trim();
            var code = OnlineRetailStockCodes.Normalize(f[codeAt]);
            var description = NormalizeTitle(f[descriptionAt]);
            var errors = new List<string>();
            if (invoice.Length == 0) errors.Add($"{invoiceColumn} is empty");
            else if (invoice.Length > ContractValidation.MaxIdLength) errors.Add($"{invoiceColumn} is longer than {ContractValidation.MaxIdLength} characters");
            if (code.Length == 0) errors.Add("StockCode is empty");
            if (!int.TryParse(f[quantityAt].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var quantity))
                errors.Add($"Quantity '{f[quantityAt]}' is not a whole number");
            if (!decimal.TryParse(f[priceAt].Trim(), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var price))
                errors.Add($"{priceColumn} '{f[priceAt]}' is not a number");
            if (!DateTime.TryParseExact(f[dateAt].Trim(), OnlineRetailDateFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                errors.Add($"InvoiceDate '{f[dateAt]}' is not a date like 2010-12-01 08:26:00");
            if (errors.Count == 0 && quantity > ContractValidation.MaxQuantity)
                errors.Add($"Quantity {quantity} is above the contract maximum of {ContractValidation.MaxQuantity}");
            if (errors.Count == 0 && price > ContractValidation.MaxUnitPrice)
                errors.Add($"{priceColumn} {price} is above the contract maximum of {ContractValidation.MaxUnitPrice}");
            if (errors.Count > 0)
            {
                problems.Add(new ReadProblem(path, record.Line, string.Join("; ", errors)));
                continue;
            }

            invoices.Add(invoice);
            stockCodes.Add(code);
            if (invoice.StartsWith('C') || invoice.StartsWith('c'))
            {
                cancelled.Add(invoice);
                cancellationLines++;
                continue;
            }
            if (!OnlineRetailStockCodes.TrySplit(code, out var sku, out var variantId))
            {
                nonProductLines++;
                nonProduct[code] = nonProduct.GetValueOrDefault(code) + 1;
                continue;
            }
            if (quantity <= 0) { quantityLines++; continue; }
            if (price <= 0) { priceLines++; continue; }

            var customer = customerAt is { } c && c < f.Count ? NormalizeCustomerId(f[c]) : null;
            var timestamp = new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc));
            orders.Add(invoice, timestamp, customer, new HistoricalLine(pool.Of(sku), pool.Of(variantId), pool.Of(description), quantity, price));
        }

        var built = orders.Build();
        var summary = Summarize(built, orders) with
        {
            DataLines = dataLines,
            DistinctOrderIds = invoices.Count,
            DistinctStockCodes = stockCodes.Count,
            CancelledOrderIds = cancelled.Count,
            CancellationLines = cancellationLines,
            NonProductLines = nonProductLines,
            NonProductLinesByCode = nonProduct,
            NonPositiveQuantityLines = quantityLines,
            NonPositivePriceLines = priceLines,
            OrdersWithoutProductLines = invoices.Count - cancelled.Count - built.Count,
        };
        return new OrderReadResult(OrderFileFormat.OnlineRetail, built, problems, summary);
    }

    /// <summary>
    /// One basket per line (<c>citrus fruit,semi-finished bread,margarine,,,</c>): empty fields are padding, an item
    /// repeated in a line counts once, a line without items is a problem. Order id <c>basket-{line}</c>, quantity 1,
    /// no price; line n is ordered n minutes after <see cref="BasketLinesEpoch"/>, so file order is time order.
    /// </summary>
    private static OrderReadResult ReadBasketLines(string path)
    {
        var problems = new List<ReadProblem>();
        var orders = new List<HistoricalOrder>();
        var pool = new StringPool();
        using var reader = InputFiles.Open(path);
        var lineNumber = 0;
        var dataLines = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            dataLines++;
            var items = line.Split(',').Select(f => f.Trim().Trim('"')).Where(f => f.Length > 0).Distinct(StringComparer.Ordinal).Select(f => pool.Of(f)).ToList();
            if (items.Count == 0)
            {
                problems.Add(new ReadProblem(path, lineNumber, "a basket line without items"));
                continue;
            }
            orders.Add(new HistoricalOrder($"basket-{lineNumber}", BasketLinesEpoch.AddMinutes(lineNumber), null,
                items.Select(i => new HistoricalLine(i, null, i, 1, 0m)).ToArray()));
        }
        var summary = Summarize(orders, null) with { DataLines = dataLines, DistinctOrderIds = orders.Count };
        return new OrderReadResult(OrderFileFormat.BasketLines, orders, problems, summary);
    }

    private static OrderReadResult ReadGenericCsv(string path)
    {
        var problems = new List<ReadProblem>();
        var orders = new OrderAccumulator();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var pool = new StringPool();
        var dataLines = 0;

        using var reader = InputFiles.Open(path);
        using var records = Csv.ReadRecords(reader).GetEnumerator();
        var columns = Header(records, path);
        int orderAt = columns.Required("order_id"), skuAt = columns.Required(GenericSkuColumns);
        var skuColumn = columns.Name(skuAt);
        int? variantAt = columns.Optional("variant_id"), titleAt = columns.Optional("title"),
            quantityAt = columns.Optional("quantity"), priceAt = columns.Optional("unit_price"),
            timestampAt = columns.Optional("timestamp"), customerAt = columns.Optional("customer_id"),
            positionAt = columns.Optional("add_to_cart_order");
        // With an add_to_cart_order column (a grocer's export), each order's lines are taken in that order rather than
        // in file order: the order of addition is what the last-added protocol and the order-of-addition rows read.
        var positioned = positionAt is null ? null : new List<(string OrderId, DateTimeOffset When, string? Customer, HistoricalLine Line, long Position)>();

        while (records.MoveNext())
        {
            var record = records.Current;
            dataLines++;
            if (!columns.CheckShape(record, path, problems)) continue;
            var f = record.Fields;
            var errors = new List<string>();
            var orderId = f[orderAt].Trim();
            var sku = f[skuAt].Trim();
            IdField(orderId, "order_id", errors);
            IdField(sku, skuColumn, errors);
            var variant = Cell(f, variantAt);
            if (variant is not null) IdField(variant, "variant_id", errors);

            var quantity = 1;
            if (Cell(f, quantityAt) is { } q)
            {
                if (!int.TryParse(q, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out quantity))
                    errors.Add($"quantity '{q}' is not a whole number");
                else if (quantity <= 0 || quantity > ContractValidation.MaxQuantity)
                    errors.Add($"quantity must be between 1 and {ContractValidation.MaxQuantity}, was {quantity}");
            }
            var price = 0m;
            if (Cell(f, priceAt) is { } p)
            {
                if (!decimal.TryParse(p, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out price))
                    errors.Add($"unit_price '{p}' is not a number");
                else if (price < 0 || price > ContractValidation.MaxUnitPrice)
                    errors.Add($"unit_price must be between 0 and {ContractValidation.MaxUnitPrice}, was {price}");
            }
            DateTimeOffset? timestamp = null;
            if (Cell(f, timestampAt) is { } t)
            {
                if (IsoTime.TryParse(t, out var parsed)) timestamp = parsed;
                else errors.Add($"timestamp '{t}' is not an ISO 8601 date and time");
            }
            long position = 0;
            if (Cell(f, positionAt) is { } at && !long.TryParse(at, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out position))
                errors.Add($"add_to_cart_order '{at}' is not a whole number");
            if (errors.Count > 0)
            {
                problems.Add(new ReadProblem(path, record.Line, string.Join("; ", errors)));
                continue;
            }
            ids.Add(orderId);
            // Without a timestamp column, the n-th order (0-based, by first appearance) is placed n seconds after
            // the Unix epoch, so time order is file order.
            var when = timestamp ?? DateTimeOffset.UnixEpoch.AddSeconds(ids.Count - 1);
            var line = new HistoricalLine(pool.Of(sku), pool.Of(variant ?? sku), Cell(f, titleAt) is { } title ? pool.Of(NormalizeTitle(title)) : null, quantity, price);
            if (positioned is not null) positioned.Add((orderId, when, Cell(f, customerAt), line, position));
            else orders.Add(orderId, when, Cell(f, customerAt), line);
        }
        if (positioned is not null)
        {
            // Orders stay in the order they first appear; within one, lines by position (equal positions in file order).
            var first = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var x in positioned) first.TryAdd(x.OrderId, first.Count);
            foreach (var x in positioned.Select((x, i) => (x, i)).OrderBy(p => first[p.x.OrderId]).ThenBy(p => p.x.Position).ThenBy(p => p.i))
                orders.Add(x.x.OrderId, x.x.When, x.x.Customer, x.x.Line);
        }

        var built = orders.Build();
        var summary = Summarize(built, orders) with { DataLines = dataLines, DistinctOrderIds = ids.Count };
        return new OrderReadResult(OrderFileFormat.GenericCsv, built, problems, summary);
    }

    private static OrderReadResult ReadOrderEvents(string path)
    {
        var problems = new List<ReadProblem>();
        var orders = new List<HistoricalOrder>();
        var pool = new StringPool();
        var firstSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        var dataLines = 0;
        foreach (var (line, text) in JsonLines.Lines(path))
        {
            dataLines++;
            OrderCompleted? e;
            try
            {
                e = JsonSerializer.Deserialize(text, ContractsJson.Default.OrderCompleted);
            }
            catch (JsonException ex)
            {
                problems.Add(new ReadProblem(path, line, $"not an OrderCompleted event: {JsonLines.Describe(ex)}"));
                continue;
            }
            if (e is null)
            {
                problems.Add(new ReadProblem(path, line, "not an OrderCompleted event: the line is null"));
                continue;
            }
            var errors = ContractValidation.Validate(e);
            if (errors.Count > 0)
            {
                problems.Add(new ReadProblem(path, line, string.Join("; ", errors)));
                continue;
            }
            if (firstSeen.TryGetValue(e.OrderId, out var earlier))
            {
                problems.Add(new ReadProblem(path, line, $"order '{e.OrderId}' was already read on line {earlier}; the later event is skipped"));
                continue;
            }
            firstSeen.Add(e.OrderId, line);
            orders.Add(new HistoricalOrder(e.OrderId, e.Timestamp, e.VisitorId,
                e.Lines.Select(l => new HistoricalLine(pool.Of(l.Sku), pool.Of(l.VariantId), null, l.Quantity, l.UnitPrice)).ToList()));
        }
        var summary = Summarize(orders, null) with { DataLines = dataLines, DistinctOrderIds = orders.Count };
        return new OrderReadResult(OrderFileFormat.OrderEventsJsonLines, orders, problems, summary);
    }

    private static OrderReadSummary Summarize(IReadOnlyList<HistoricalOrder> orders, OrderAccumulator? accumulator) => new()
    {
        Orders = orders.Count,
        KeptLines = orders.Sum(o => o.Lines.Count),
        MergedDuplicateLines = accumulator?.MergedLines ?? 0,
        DistinctSkus = orders.SelectMany(o => o.Lines).Select(l => l.Sku).Distinct(StringComparer.Ordinal).Count(),
        DistinctVariants = orders.SelectMany(o => o.Lines).Select(l => (l.Sku, l.VariantId)).Distinct().Count(),
    };

    /// <summary>Collapses runs of white space and trims; null when nothing is left.</summary>
    internal static string? NormalizeTitle(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var sb = new StringBuilder(text.Length);
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(word);
        }
        return sb.ToString();
    }

    /// <summary>Customer ids are whole numbers; some copies of the data write them as 17850.0.</summary>
    private static string? NormalizeCustomerId(string text)
    {
        var id = text.Trim();
        if (id.Length == 0) return null;
        return id.EndsWith(".0", StringComparison.Ordinal) ? id[..^2] : id;
    }

    private static void IdField(string value, string name, List<string> errors)
    {
        if (value.Length == 0) errors.Add($"{name} is empty");
        else if (value.Length > ContractValidation.MaxIdLength) errors.Add($"{name} is longer than {ContractValidation.MaxIdLength} characters");
    }

    private static string? Cell(IReadOnlyList<string> fields, int? at)
    {
        if (at is not { } i || i >= fields.Count) return null;
        var value = fields[i].Trim();
        return value.Length == 0 ? null : value;
    }

    /// <summary>
    /// One string per distinct value of a file (skus, variants, titles), shared by every line that holds it: a line's
    /// fields are new strings, and a file of a million orders held millions of copies of a few thousand skus and titles.
    /// </summary>
    private sealed class StringPool
    {
        private readonly HashSet<string> _kept = new(StringComparer.Ordinal);

        [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
        public string? Of(string? value)
        {
            if (value is null) return null;
            if (_kept.TryGetValue(value, out var kept)) return kept;
            _kept.Add(value);
            return value;
        }
    }

    private static CsvHeader Header(IEnumerator<CsvRecord> records, string path)
    {
        if (!records.MoveNext()) throw new InvalidDataException($"Order file '{path}' is empty: no header.");
        var header = records.Current;
        if (header.Error is not null) throw new InvalidDataException($"Order file '{path}' has an unreadable header: {header.Error}.");
        return new CsvHeader(path, header.Fields.Select(f => f.Trim()).ToArray());
    }

    private sealed class CsvHeader(string path, string[] names)
    {
        /// <summary>The column of the first of <paramref name="accepted"/> (a column's names) the header holds.</summary>
        public int Required(params string[] accepted) =>
            Optional(accepted) ?? throw new InvalidDataException($"Order file '{path}' has no '{string.Join("' or '", accepted)}' column in its header '{string.Join(",", names)}'.");

        public int? Optional(params string[] accepted)
        {
            foreach (var name in accepted)
            {
                var at = Array.FindIndex(names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
                if (at >= 0) return at;
            }
            return null;
        }

        public string Name(int at) => names[at];

        /// <summary>A record must split cleanly and have exactly as many fields as the header.</summary>
        public bool CheckShape(CsvRecord record, string file, List<ReadProblem> problems)
        {
            if (record.Error is not null)
            {
                problems.Add(new ReadProblem(file, record.Line, record.Error));
                return false;
            }
            if (record.Fields.Count != names.Length)
            {
                problems.Add(new ReadProblem(file, record.Line, $"expected {names.Length} fields like the header, found {record.Fields.Count}"));
                return false;
            }
            return true;
        }
    }
}
