using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;
using CartCrossSell.OrderHistory;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell recommend-batch</c>: learns from an orders file and writes the engine's add-ons for every cart of a
/// carts file, one JSON line per cart, so anyone can evaluate the engine with their own data.
/// </summary>
public static class RecommendBatchCommand
{
    public const string NoCatalogNote = "no catalog: the substitute, price, variant, stock and margin rules and the category fallback were skipped";

    public static Command Create()
    {
        var orders = new Option<string>("--orders") { Description = "Training orders: order CSV (order_id,sku[,quantity,unit_price,timestamp]), Online Retail CSV, OrderCompleted JSON Lines or baskets (--orders-format)", Required = true };
        var catalog = new Option<string?>("--catalog") { Description = "Catalog: JSON Lines of ProductUpserted records, 'derived' for an Online Retail orders file, or 'none' (the default). Without one the rules that need categories or prices are skipped" };
        var carts = new Option<string>("--carts") { Description = "Carts: JSON Lines {\"cartId\":...,\"items\":[{\"sku\":...,\"quantity\":...}]}", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write one JSON line of recommendations per cart", Required = true };
        var maxAddOns = new Option<int>("--max-add-ons") { Description = "At most this many add-ons per cart", DefaultValueFactory = _ => 3 };
        var now = new Option<string?>("--now") { Description = "Time of the recommendations (ISO 8601); default: the latest order" };
        var model = new Option<string?>("--model") { Description = "A ranking model written by train-ranker; default: train one on --orders (the heuristic ranks when there are too few orders)" };
        var ordersFormat = EngineInputs.OrdersFormatOption();
        var (rules, currency, country) = EngineInputs.MerchandisingOptions();

        var command = new Command("recommend-batch", "Learn from an orders file and recommend add-ons for every cart of a carts file")
        {
            orders, catalog, carts, output, maxAddOns, now, model, ordersFormat, rules, currency, country,
        };
        // The token is cancelled by Ctrl+C or SIGTERM: training, evaluating and ranking stop at their next order or cart,
        // and the command ends "cancelled" (130) without writing its output.
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
        return command;

        int Run(ParseResult parseResult, CancellationToken cancellationToken)
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            foreach (var required in new[] { parseResult.GetValue(orders)!, parseResult.GetValue(carts)! })
                if (!File.Exists(required))
                {
                    error.WriteLine($"file not found: {required}");
                    return 2;
                }
            var catalogSpec = parseResult.GetValue(catalog);
            if (catalogSpec is not null && !catalogSpec.Equals(EngineInputs.DerivedCatalog, StringComparison.OrdinalIgnoreCase)
                && !catalogSpec.Equals(EngineInputs.NoCatalog, StringComparison.OrdinalIgnoreCase) && !File.Exists(catalogSpec))
            {
                error.WriteLine(EngineInputs.NoCatalogFile(catalogSpec));
                return 2;
            }

            if (!EngineInputs.TryOutputs(error, [parseResult.GetValue(orders), parseResult.GetValue(carts), catalogSpec, parseResult.GetValue(model), parseResult.GetValue(rules)],
                    ("--out", parseResult.GetValue(output))))
                return 2;
            if (!EngineInputs.TryOrdersFormat(parseResult, ordersFormat, error, out var format)) return 2;
            if (!EngineInputs.TryLoadRules(parseResult.GetValue(rules), error, out var merchandising)) return 2;
            if (!EngineInputs.TryMarket(parseResult, currency, country, error, out var cartCurrency, out var cartCountry)) return 2;
            RankingModel? ranking = null;
            if (parseResult.GetValue(model) is { } modelPath && !EngineInputs.TryLoadModel(modelPath, error, servable: true, out ranking)) return 2;
            DateTimeOffset? nowGiven = null;
            if (parseResult.GetValue(now) is { } text)
            {
                // ISO 8601 only: the invariant culture would also read 12/05/2010 (as December the fifth). Checked before
                // a year of orders is read.
                if (!IsoTime.TryParse(text, out var given))
                {
                    error.WriteLine($"--now: not an ISO 8601 time: {text}");
                    return 2;
                }
                nowGiven = given;
            }
            var read = EngineInputs.ReadOrders(parseResult.GetValue(orders)!, error, format);
            var (cat, catalogDescription, multiBuy) = EngineInputs.ReadCatalog(catalogSpec ?? EngineInputs.NoCatalog, read, error);
            var cartFile = CartFiles.Read(parseResult.GetValue(carts)!);
            EngineInputs.Report(cartFile.Problems, error);
            var at = nowGiven ?? (read.Orders.Count > 0 ? read.Orders.Max(o => o.Timestamp) : DateTimeOffset.UtcNow);

            var options = new RecommendationOptions
            {
                MaxAddOns = parseResult.GetValue(maxAddOns),
                MultiBuyCategories = multiBuy,
                AllowUnknownItems = cat is null,
            };
            if (!EngineInputs.TryValidate(error, options.Validate, new Dictionary<string, string> { ["MaxAddOns"] = "--max-add-ons" })) return 2;
            var learning = new LearningOptions();
            if (nowGiven is null) WarnOfALoneNewestOrder(read.Orders, learning.HalfLife, error);
            if (ranking is null && parseResult.GetValue(model) is null)
            {
                ranking = EngineInputs.TrainRanker(read.Orders.Select(EngineInputs.ToEvalOrder).ToList(), cat,
                    new RankerTrainerOptions { Recommendation = options, Learning = learning }, error, out var trained, cancellationToken);
                // As the in-stream trainer: a model that ranks the validation carts worse than the heuristic does not serve.
                if (ranking is not null && trained is { Promotion.Promote: false })
                {
                    error.WriteLine($"ranker: the heuristic ranks with this store's validation carts better ({trained.Promotion.Reason}); ranking with the heuristic");
                    ranking = null;
                }
            }
            var learner = EngineInputs.Learn(read.Orders, cat, learning);
            var evidence = learner.Compact();
            var ranker = new AddOnRanker(options, learner.Clock);
            var learned = ranking is null ? null : new LearnedAddOnRanker(ranking, options);
            var inputs = new RankingInputs(evidence, cat, learner.Clock, RankingInputs.BestSellersOf(learner.Items()))
            {
                SimilarBaskets = learned is null ? null : EngineInputs.SimilarBasketsOf(read.Orders),
            };
            ICatalog engineCatalog = cat ?? new InMemoryCatalog([]);

            var resolver = CartSkuResolver.Build(read.Orders, cat?.Items.Select(i => (i.Sku, i.Variants.Select(v => v.VariantId))),
                onlineRetailCodes: read.Format == OrderFileFormat.OnlineRetail);
            var cartsPath = parseResult.GetValue(carts)!;
            var unknownItems = 0;
            var outPath = parseResult.GetValue(output)!;
            var withAddOns = 0;
            var repeatedCarts = 0;
            // Written beside the output (beside the file a link names) and renamed over it at the end: a run that fails or
            // is cancelled leaves the previous output as it was, not half of a new one, and no partial file.
            var target = EngineInputs.RealPath(outPath);
            var partPath = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
            try
            {
                using (var writer = new StreamWriter(partPath, append: false, new UTF8Encoding(false)))
                {
                    var seenCarts = new Dictionary<string, int>(StringComparer.Ordinal);
                    foreach (var cart in cartFile.Items)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        // Each line is answered (a file may hold a cart's states one after another), but say so.
                        if (!seenCarts.TryAdd(cart.CartId, cart.Line) && ++repeatedCarts <= MaxNamedOnStderr)
                            error.WriteLine($"{cartsPath}:{cart.Line}: cart '{cart.CartId}' also on line {seenCarts[cart.CartId]}: both are answered, in file order");
                        var lines = new List<BasketLine>(cart.Items.Count);
                        foreach (var i in cart.Items)
                        {
                            var item = resolver.Resolve(i);
                            if (!item.Known && ++unknownItems <= MaxNamedOnStderr)
                                error.WriteLine($"{cartsPath}:{cart.Line}: sku '{i.Sku}' is in no order{(cat is null ? "" : " and not in the catalog")}: it brings no evidence to cart '{cart.CartId}'");
                            lines.Add(new BasketLine
                            {
                                Sku = item.Sku,
                                VariantId = item.VariantId,
                                Quantity = i.Quantity,
                                UnitPrice = engineCatalog.Find(item.Sku)?.Price ?? 0m,
                                AddedAt = at,
                            });
                        }
                        var basket = new Basket(lines) { Currency = cartCurrency, Country = cartCountry };
                        var list = learned is not null ? learned.Rank(basket, inputs, at, merchandising) : ranker.Rank(basket, engineCatalog, evidence, at, merchandising);
                        if (list.AddOns.Count > 0) withAddOns++;
                        writer.WriteLine(Line(cart.CartId, list, cat is null));
                    }
                }
                File.Move(partPath, target, overwrite: true);
            }
            finally
            {
                if (File.Exists(partPath)) File.Delete(partPath);
            }
            stdout.WriteLine($"Learned from {read.Orders.Count} orders ({read.Problems.Count} bad order lines skipped); catalog: {catalogDescription}; ranking: {(ranking is null ? "heuristic (basket-aware)" : $"learned model {ranking.Version}")}.");
            if (cat is null) stdout.WriteLine($"Note: {NoCatalogNote}.");
            stdout.WriteLine($"Wrote {cartFile.Items.Count} carts ({withAddOns} with add-ons, {cartFile.Problems.Count} bad cart lines skipped, {unknownItems} cart items unknown to the orders{(cat is null ? "" : " and catalog")}, {repeatedCarts} cart ids given again) to {outPath}.");
            return 0;
        }
    }

    /// <summary>
    /// Without --now the batch ranks as of the newest order, and decay weighs every other order by how long before it
    /// was placed: one order dated years ahead (a typo) leaves nothing of the rest, and every list comes back empty
    /// without an error. Said on stderr when the newest order is more than a half-life after any other.
    /// </summary>
    private static void WarnOfALoneNewestOrder(IReadOnlyList<HistoricalOrder> orders, TimeSpan halfLife, TextWriter error)
    {
        if (orders.Count < 2) return;
        var newest = orders.MaxBy(o => o.Timestamp)!;
        var before = orders.Where(o => !ReferenceEquals(o, newest)).Max(o => o.Timestamp);
        if (newest.Timestamp - before <= halfLife) return;
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warning: the newest order ('{newest.OrderId}', {newest.Timestamp:yyyy-MM-dd}) is {(newest.Timestamp - before).TotalDays:0} days after any other; ranking as of it, decay leaves little of the rest: check its date, or pass --now"));
    }

    /// <summary>Unknown cart items, and carts given twice, named on stderr, one line each; beyond these they are only counted (stdout counts them all).</summary>
    private const int MaxNamedOnStderr = 20;

    private static string Line(string cartId, AddOnList list, bool noCatalog)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("cartId", cartId);
            w.WriteString("strategy", list.Strategy);
            if (list.ModelVersion is { } version) w.WriteString("modelVersion", version);
            w.WriteStartArray("skus");
            foreach (var a in list.AddOns) w.WriteStringValue(a.Sku);
            w.WriteEndArray();
            w.WriteStartArray("addOns");
            foreach (var a in list.AddOns)
            {
                w.WriteStartObject();
                w.WriteString("sku", a.Sku);
                w.WriteString("variantId", a.VariantId);
                w.WriteString("title", a.Title);
                w.WriteNumber("price", a.Price);
                w.WriteNumber("score", Math.Round(a.Score, 6));
                w.WriteString("reason", a.Reason);
                w.WriteString("variantReason", a.VariantReason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("appliedRules");
            foreach (var rule in list.AppliedRules) w.WriteStringValue(rule);
            w.WriteEndArray();
            if (noCatalog) w.WriteString("note", NoCatalogNote);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
