using CartCrossSell.Engine;
using System.CommandLine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;
using CartCrossSell.OrderHistory;
using CartCrossSell.Contracts;
using CartCrossSell.Topologies.Catalog;

namespace CartCrossSell.Cli.Commands;

/// <summary>Reads the order and catalog files the engine commands share, reporting every bad line with its number.</summary>
internal static class EngineInputs
{
    public const string DerivedCatalog = "derived";
    public const string NoCatalog = "none";

    /// <summary>What <c>--catalog</c> takes, said when its file is missing (a typo of <c>derived</c>, say).</summary>
    public static string NoCatalogFile(string spec) => $"--catalog: no file '{spec}' (a catalog file, '{DerivedCatalog}' or '{NoCatalog}')";

    /// <summary>The <c>--orders-format</c> option: auto (detected from the header) or a named format.</summary>
    public static Option<string> OrdersFormatOption() => new("--orders-format")
    {
        Description = "auto (from the file's header), online-retail, csv, jsonl, or baskets (one basket per line, comma-separated items, e.g. Groceries)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The <c>--orders-format</c> value: null for auto; false (and the reason on <paramref name="error"/>) for an unknown name.</summary>
    public static bool TryOrdersFormat(ParseResult parseResult, Option<string> option, TextWriter error, out OrderFileFormat? format)
    {
        var text = parseResult.GetValue(option)!;
        format = null;
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var (name, known) in FormatNames)
            if (text.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                format = known;
                return true;
            }
        error.WriteLine($"unknown --orders-format '{text}': use auto, {string.Join(", ", FormatNames.Select(f => f.Name))}");
        return false;
    }

    /// <summary>The <c>--orders-format</c> names of the formats.</summary>
    private static readonly (string Name, OrderFileFormat Format)[] FormatNames =
    [
        ("online-retail", OrderFileFormat.OnlineRetail), ("csv", OrderFileFormat.GenericCsv),
        ("jsonl", OrderFileFormat.OrderEventsJsonLines), ("baskets", OrderFileFormat.BasketLines),
    ];

    /// <summary>
    /// Checks the files a command will write before it reads or trains anything (a training can take a minute): each
    /// names a file, not a directory; none is one of the command's <paramref name="inputs"/>, which writing would
    /// destroy, nor another output; and its directory exists or is created now. False, with one line naming the option
    /// on <paramref name="error"/>, otherwise. Outputs without a path (an option not given) are skipped.
    /// </summary>
    public static bool TryOutputs(TextWriter error, IEnumerable<string?> inputs, params (string Option, string? Path)[] outputs)
    {
        var taken = inputs.Where(p => !string.IsNullOrEmpty(p) && File.Exists(p)).Select(p => (Option: "input", Path: RealPath(p!))).ToList();
        var directories = new List<(string Option, string Path, string Directory)>();
        foreach (var (option, path) in outputs)
        {
            if (string.IsNullOrEmpty(path)) continue;
            var full = RealPath(path);
            if (Directory.Exists(full))
            {
                error.WriteLine($"{option}: {path} is a directory; name a file");
                return false;
            }
            if (taken.FirstOrDefault(t => t.Path == full) is { Path: not null } clash)
            {
                error.WriteLine(clash.Option == "input"
                    ? $"{option}: {path} is also an input of this command, and writing it would destroy it; name another file"
                    : $"{option}: {path} is also the file of {clash.Option}; name another file");
                return false;
            }
            taken.Add((option, full));
            if (Path.GetDirectoryName(full) is { Length: > 0 } directory) directories.Add((option, path, directory));
        }
        // Once every output passed: a refused command leaves no directory behind.
        foreach (var (option, path, directory) in directories)
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"{option}: cannot create the directory of {path}: {e.Message}");
                return false;
            }
        return true;
    }

    /// <summary>
    /// The file a path names, with every symbolic link on the way followed (a linked directory, a link to the file), so
    /// two paths to one file compare equal. Hard links and case-insensitive file systems are not seen through.
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            try
            {
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) next = RealPath(target.FullName);
            }
            catch (IOException)
            {
                // A link that cannot be followed (a loop): the path as written.
            }
            current = next;
        }
        return current;
    }

    /// <summary>
    /// Runs <paramref name="validate"/> (options' Validate methods); false, with one line naming the command-line option
    /// (<paramref name="flags"/>: property name to option) or the setting on <paramref name="error"/>, when it refuses a value.
    /// </summary>
    public static bool TryValidate(TextWriter error, Action validate, IReadOnlyDictionary<string, string>? flags = null)
    {
        try
        {
            validate();
            return true;
        }
        catch (ArgumentException e)
        {
            var message = e.Message.Split('\n')[0];
            if (e.ParamName is { } name) message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
            if (e is ArgumentOutOfRangeException { ActualValue: { } value }) message += $" (was {Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)})";
            var what = e.ParamName is { } param ? flags?.GetValueOrDefault(param) ?? param : null;
            error.WriteLine(what is null ? $"invalid option: {message}" : $"invalid option {what}: {message}");
            return false;
        }
    }

    /// <summary>
    /// Loads a model file written by <c>train-ranker</c>; false (and the file and reason on <paramref name="error"/>)
    /// when it is missing, not a model, or, with <paramref name="servable"/>, reads other features than this engine writes.
    /// </summary>
    public static bool TryLoadModel(string path, TextWriter error, bool servable, out RankingModel? model)
    {
        model = null;
        if (!File.Exists(path))
        {
            error.WriteLine($"file not found: {path}");
            return false;
        }
        try
        {
            model = RankingModel.FromBytes(File.ReadAllBytes(path));
            if (servable && !model.MatchesFeatures) throw new InvalidDataException("it reads other features than this version of the engine writes");
            return true;
        }
        catch (InvalidDataException ex)
        {
            error.WriteLine($"{path}: {ex.Message}");
            model = null;
            return false;
        }
    }

    public static OrderReadResult ReadOrders(string path, TextWriter error, OrderFileFormat? format = null)
    {
        var result = OrderFiles.Read(path, format);
        Report(result.Problems, error);
        // Every line bad: most likely the wrong format (given, or detected from the first line), not a store without orders.
        if (result.Orders.Count == 0 && result.Problems.Count > 0)
            throw new InvalidDataException($"{path}: no order could be read ({result.Problems.Count} bad lines, the first above) as {FormatNames.First(f => f.Format == result.Format).Name}"
                + (format is null ? " (detected from its first line); is it an orders file, or does --orders-format say what it is?" : "; is --orders-format right?"));
        return result;
    }

    /// <summary>
    /// The catalog for <paramref name="spec"/>: a JSON Lines file of products, "derived" (the deterministic Online
    /// Retail derivation from the orders), "none", or null for the default (derived for Online Retail files, else none).
    /// </summary>
    public static (InMemoryCatalog? Catalog, string Description, IReadOnlySet<string> MultiBuy) ReadCatalog(
        string? spec, OrderReadResult orders, TextWriter error)
    {
        var empty = (IReadOnlySet<string>)new HashSet<string>(StringComparer.Ordinal);
        spec ??= orders.Format == OrderFileFormat.OnlineRetail ? DerivedCatalog : NoCatalog;
        if (spec.Equals(NoCatalog, StringComparison.OrdinalIgnoreCase)) return (null, "none", empty);
        if (spec.Equals(DerivedCatalog, StringComparison.OrdinalIgnoreCase))
        {
            var derived = ToCatalog(OnlineRetailCatalog.Derive(orders.Orders));
            return (derived, $"derived from the orders ({derived.Count} products)", OnlineRetailCatalog.MultiBuyCategories);
        }
        if (!File.Exists(spec)) throw new FileNotFoundException(NoCatalogFile(spec), spec);
        var read = CatalogFiles.Read(spec);
        Report(read.Problems, error);
        var catalog = ToCatalog(read.Items);
        return (catalog, $"{spec} ({catalog.Count} products)", empty);
    }

    /// <summary>The engine's catalog of the products (the streaming host's mapping); a later record for a sku wins.</summary>
    public static InMemoryCatalog ToCatalog(IEnumerable<ProductUpserted> products) => new(products.Select(p => p.ToCatalogItem()));

    public static void Report(IReadOnlyList<ReadProblem> problems, TextWriter error)
    {
        // file:line: first, as compilers write it, so editors and scripts find the line; what was done with it after.
        foreach (var p in problems) error.WriteLine($"{p} (skipped)");
    }

    public static EvalOrder ToEvalOrder(HistoricalOrder order) =>
        new(order.OrderId, order.Timestamp, order.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList());

    /// <summary>
    /// Trains the learned ranker on <paramref name="orders"/> (its validation slice is their newest part), reporting
    /// progress on <paramref name="log"/>; null, with the reason on <paramref name="log"/>, when there are too few orders
    /// to learn from.
    /// </summary>
    public static RankingModel? TrainRanker(IReadOnlyCollection<EvalOrder> orders, ICatalog? catalog, RankerTrainerOptions options,
        TextWriter log, out TrainingReport? report, CancellationToken cancellationToken = default)
    {
        report = null;
        try
        {
            var (model, r) = RankerTrainer.Train(orders, catalog, options,
                new CartCrossSell.Cli.Hosting.SynchronousProgress<string>(m => log.WriteLine($"ranker: {m}")), cancellationToken);
            report = r;
            return model;
        }
        catch (InvalidOperationException ex)
        {
            log.WriteLine($"ranker: not trained ({ex.Message})");
            return null;
        }
    }

    public static BasketLearner Learn(IEnumerable<HistoricalOrder> orders, ICatalog? catalog, LearningOptions options)
    {
        var learner = new BasketLearner(options);
        Func<string, string?>? leafOf = catalog is null ? null : sku => catalog.Find(sku)?.LeafCategory;
        foreach (var order in orders)
            learner.AddOrder(order.Lines.Select(l => l.Sku).ToList(), order.Timestamp, leafOf);
        return learner;
    }

    /// <summary>The orders' baskets, the newest held, as a recommender holds them for the learned ranker's similar-baskets source.</summary>
    public static SimilarBaskets SimilarBasketsOf(IEnumerable<HistoricalOrder> orders, SimilarBasketsOptions? options = null)
    {
        var index = new SimilarBaskets(options);
        foreach (var order in orders.OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal))
            index.Add(order.OrderId, order.Lines.Select(l => l.Sku));
        return index;
    }

    /// <summary><c>--rules FILE</c>, <c>--currency</c>, <c>--country</c>: the merchandising rules an offline command applies, and the carts' market.</summary>
    public static (Option<string?> Rules, Option<string?> Currency, Option<string?> Country) MerchandisingOptions() => (
        new Option<string?>("--rules") { Description = "Merchandising rules file (JSON or YAML, as for `rules apply`): applied to the rule-abiding rankers (docs/merchandising.md)" },
        new Option<string?>("--currency") { Description = "The carts' currency (ISO 4217), which limits and currency markets rules read; default unknown" },
        new Option<string?>("--country") { Description = "The carts' country (ISO 3166-1 alpha-2), which country markets rules read; default unknown" });

    /// <summary>
    /// The carts' market from <c>--currency</c> and <c>--country</c>, upper-cased (the catalog and rules carry codes in
    /// upper case, so a lower-case "gbp" would match nothing and empty every list); false, naming the option, when a
    /// value is not a code's shape.
    /// </summary>
    public static bool TryMarket(System.CommandLine.ParseResult parseResult, Option<string?> currency, Option<string?> country, TextWriter error,
        out string? cartCurrency, out string? cartCountry)
    {
        cartCurrency = parseResult.GetValue(currency)?.ToUpperInvariant();
        cartCountry = parseResult.GetValue(country)?.ToUpperInvariant();
        if (cartCurrency is not null && !Contracts.ContractValidation.IsCurrencyCode(cartCurrency))
            error.WriteLine($"--currency must be a three-letter ISO 4217 code, was '{parseResult.GetValue(currency)}'");
        else if (cartCountry is not null && !Contracts.ContractValidation.IsCountryCode(cartCountry))
            error.WriteLine($"--country must be a two-letter ISO 3166-1 code, was '{parseResult.GetValue(country)}'");
        else return true;
        return false;
    }

    /// <summary>Reads a rules file; false (every problem on <paramref name="error"/>) when any rule has one.</summary>
    public static bool TryLoadRules(string? path, TextWriter error, out Engine.Merchandising.MerchandisingRuleSet? rules)
    {
        rules = null;
        if (path is null) return true;
        if (!File.Exists(path))
        {
            error.WriteLine($"file not found: {path}");
            return false;
        }
        var read = OrderHistory.RuleFiles.Read(path);
        foreach (var problem in read.Problems) error.WriteLine(problem.ToString());
        if (read.Problems.Count > 0) return false;
        rules = Topologies.Merchandising.RuleMapping.ToRuleSet(read.Items);
        return true;
    }
}
