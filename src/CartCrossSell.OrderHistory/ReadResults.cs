namespace CartCrossSell.OrderHistory;

/// <summary>A line of an input file that could not be used: the file, its 1-based line number, and why.</summary>
public sealed record ReadProblem(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}

/// <summary>What a reader got from a file: the items it could read, and a problem for every line it could not.</summary>
public sealed record ReadResult<T>(IReadOnlyList<T> Items, IReadOnlyList<ReadProblem> Problems);

/// <summary>The order file formats <see cref="OrderFiles.Read"/> recognises.</summary>
public enum OrderFileFormat
{
    /// <summary>The UCI Online Retail CSV (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country).</summary>
    OnlineRetail,
    /// <summary>A CSV with a header holding at least <c>order_id</c> and <c>sku</c>.</summary>
    GenericCsv,
    /// <summary>JSON Lines of <c>OrderCompleted</c> events.</summary>
    OrderEventsJsonLines,
    /// <summary>
    /// One basket per line, comma-separated item names, no header, no prices or times (the Groceries data set).
    /// Never detected: asked for by name. Lines are taken as orders in time order, one minute apart.
    /// </summary>
    BasketLines,
}

/// <summary>The orders read from one file, the problems, and the counts of the data rules that were applied.</summary>
public sealed record OrderReadResult(
    OrderFileFormat Format,
    IReadOnlyList<HistoricalOrder> Orders,
    IReadOnlyList<ReadProblem> Problems,
    OrderReadSummary Summary)
{
    public ReadResult<HistoricalOrder> ToReadResult() => new(Orders, Problems);
}

/// <summary>
/// Counts of what a reader did with the lines of an order file. Lines dropped by a data rule are counted here, not
/// reported as problems: they are well-formed, just not purchases of products. A line is counted under the first
/// rule that drops it, in the order cancellation, non-product code, quantity, price.
/// </summary>
public sealed record OrderReadSummary
{
    /// <summary>Data lines (records) in the file, header excluded, problems included.</summary>
    public int DataLines { get; init; }
    /// <summary>Distinct invoice (order) ids among the well-formed lines, cancellations included.</summary>
    public int DistinctOrderIds { get; init; }
    /// <summary>Online Retail only: distinct stock codes among the well-formed lines, non-products included.</summary>
    public int DistinctStockCodes { get; init; }
    public int CancelledOrderIds { get; init; }
    public int CancellationLines { get; init; }
    public int NonProductLines { get; init; }
    /// <summary>Non-product lines per stock code (POST, M, D, ...).</summary>
    public IReadOnlyDictionary<string, int> NonProductLinesByCode { get; init; } = new Dictionary<string, int>();
    public int NonPositiveQuantityLines { get; init; }
    public int NonPositivePriceLines { get; init; }
    /// <summary>Lines folded into an earlier line of the same order with the same sku and variant.</summary>
    public int MergedDuplicateLines { get; init; }
    /// <summary>Lines kept (after merging) in the orders returned.</summary>
    public int KeptLines { get; init; }
    /// <summary>Non-cancelled order ids left without a single product line once the rules were applied.</summary>
    public int OrdersWithoutProductLines { get; init; }
    public int Orders { get; init; }
    public int DistinctSkus { get; init; }
    public int DistinctVariants { get; init; }
}
