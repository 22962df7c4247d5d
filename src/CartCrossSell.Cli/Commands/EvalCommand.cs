using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell eval</c>: the offline evaluation of the engine on real orders (see docs/engine.md). Prints a markdown
/// table and writes the figures as JSON.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var orders = new Option<string>("--orders") { Description = "Orders file: Online Retail CSV, order CSV (order_id,sku[,quantity,unit_price,timestamp]) or OrderCompleted JSON Lines", Required = true };
        var catalog = new Option<string?>("--catalog") { Description = "Catalog JSON Lines file, 'derived' (Online Retail derivation) or 'none'; default: derived for Online Retail, else none" };
        var json = new Option<string>("--json") { Description = "Where to write the results as JSON", DefaultValueFactory = _ => "eval.json" };
        var testFraction = new Option<double>("--test-fraction") { Description = "Most recent share of orders used as test set", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random-item protocol", DefaultValueFactory = _ => 42 };
        var similarity = new Option<string?>("--similarity") { Description = "cosine, lift, jaccard, confidence or cooccurrence (default: the engine's)" };
        var recency = new Option<double?>("--recency-decay") { Description = "Weight ratio between consecutive cart positions (1 = uniform basket)" };
        var recencyFloor = new Option<double?>("--recency-floor") { Description = "Least weight of any cart position" };
        var shrinkage = new Option<double?>("--shrinkage") { Description = "Shrinkage lambda" };
        var minSupport = new Option<double?>("--min-support") { Description = "Minimum co-occurrence support of a candidate" };
        var halfLife = HalfLifeOption();
        var maxNeighbors = new Option<int?>("--max-neighbors") { Description = "Neighbours kept per row (default 150)" };
        var targets = new Option<string>("--targets") { Description = "all: every basket (default); eligible: only baskets whose hidden item the heuristic's category substitute rule and the price cap let through", DefaultValueFactory = _ => "all" };
        var compare = new Option<bool>("--compare") { Description = "Also evaluate basket-aware with every similarity measure and with a uniform basket" };
        var model = new Option<string>("--model") { Description = "The learned ranker: 'train' (on the training part only; its validation slice is the newest part of it), 'none', or a model file written by --save-model", DefaultValueFactory = _ => "train" };
        var saveModel = new Option<string?>("--save-model") { Description = "Write the trained model to this file" };
        var ordersFormat = EngineInputs.OrdersFormatOption();
        var (rules, currency, country) = EngineInputs.MerchandisingOptions();
        var perLeaf = new Option<int?>("--max-per-leaf-category") { Description = "Diversity: add-ons per leaf category in a list (0 = no limit; default 1)" };
        var nearDuplicates = new Option<string?>("--near-duplicates") { Description = "Diversity: 'off', or how many words two near-duplicate titles may differ in besides variant words (default 1)" };
        var chart = new Option<string?>("--chart") { Description = "When a ranker is trained: draw its show-threshold curve (HR@3 against add-ons per cart, validation) as a PNG" };

        var command = new Command("eval", "Offline evaluation: HR@1, HR@3, NDCG@3, MRR@10, coverage, duplicates, substitutes and price band share of the learned ranker, the basket-aware heuristic and the baselines (popularity, last item, basket counts, basket cosine)")
        {
            orders, catalog, json, testFraction, seed, similarity, recency, recencyFloor, shrinkage, minSupport, halfLife, maxNeighbors, targets, compare,
            model, saveModel, ordersFormat, chart, rules, currency, country, perLeaf, nearDuplicates,
        };
        // The token is cancelled by Ctrl+C or SIGTERM: training, evaluating and ranking stop at their next order or cart,
        // and the command ends "cancelled" (130) without writing its output.
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
        return command;

        int Run(ParseResult parseResult, CancellationToken cancellationToken)
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var ordersPath = parseResult.GetValue(orders)!;
            if (!File.Exists(ordersPath))
            {
                error.WriteLine($"orders file not found: {ordersPath}");
                return 2;
            }
            if (parseResult.GetValue(testFraction) is not (> 0 and < 1))
            {
                error.WriteLine($"--test-fraction must be in (0, 1), was {parseResult.GetValue(testFraction).ToString(CultureInfo.InvariantCulture)}");
                return 2;
            }
            if (!EngineInputs.TryOutputs(error, [ordersPath, parseResult.GetValue(catalog), parseResult.GetValue(rules), parseResult.GetValue(model)],
                    ("--json", parseResult.GetValue(json)), ("--save-model", parseResult.GetValue(saveModel)), ("--chart", parseResult.GetValue(chart))))
                return 2;
            var targetText = parseResult.GetValue(targets)!;
            if (!Enum.TryParse<HoldoutTargets>(targetText, ignoreCase: true, out var target) || !Enum.IsDefined(target))
            {
                error.WriteLine($"unknown --targets '{targetText}': use eligible or all");
                return 2;
            }
            if (!EngineInputs.TryOrdersFormat(parseResult, ordersFormat, error, out var format)) return 2;
            if (!EngineInputs.TryLoadRules(parseResult.GetValue(rules), error, out var merchandising)) return 2;
            if (!EngineInputs.TryMarket(parseResult, currency, country, error, out var cartCurrency, out var cartCountry)) return 2;
            var modelSpec = parseResult.GetValue(model)!;
            if (modelSpec == "none" && parseResult.GetValue(saveModel) is not null)
            {
                error.WriteLine("--save-model needs a model: --model train (the default) or a model file, not none");
                return 2;
            }
            RankingModel? ranking = null;
            if (modelSpec is not ("train" or "none") && !EngineInputs.TryLoadModel(modelSpec, error, servable: true, out ranking)) return 2;
            var read = EngineInputs.ReadOrders(ordersPath, error, format);
            var (cat, catalogDescription, multiBuy) = EngineInputs.ReadCatalog(parseResult.GetValue(catalog), read, error);

            var recommendation = new RecommendationOptions { MultiBuyCategories = multiBuy };
            if (parseResult.GetValue(similarity) is { } s)
            {
                if (!Similarity.TryParse(s, out var measure))
                {
                    error.WriteLine($"unknown similarity '{s}': use cosine, lift, jaccard, confidence or cooccurrence");
                    return 2;
                }
                recommendation = recommendation with { Similarity = measure };
            }
            if (parseResult.GetValue(recency) is { } r) recommendation = recommendation with { RecencyDecay = r };
            if (parseResult.GetValue(recencyFloor) is { } rf) recommendation = recommendation with { RecencyFloor = rf };
            if (parseResult.GetValue(shrinkage) is { } l) recommendation = recommendation with { Shrinkage = l };
            if (parseResult.GetValue(minSupport) is { } m) recommendation = recommendation with { MinSupport = m };
            if (parseResult.GetValue(perLeaf) is { } leaves)
                recommendation = recommendation with { Diversity = recommendation.Diversity with { MaxPerLeafCategory = leaves } };
            if (parseResult.GetValue(nearDuplicates) is { } near)
            {
                if (near.Equals("off", StringComparison.OrdinalIgnoreCase))
                    recommendation = recommendation with { Diversity = recommendation.Diversity with { NearDuplicates = false } };
                else if (int.TryParse(near, CultureInfo.InvariantCulture, out var words))
                    recommendation = recommendation with { Diversity = recommendation.Diversity with { NearDuplicateMaxDifferingWords = words } };
                else
                {
                    error.WriteLine($"--near-duplicates: 'off' or a number of words, was '{near}'");
                    return 2;
                }
            }
            var learning = new LearningOptions();
            if (!TryHalfLife(parseResult.GetValue(halfLife), error, out var halfLifeSpan)) return 2;
            if (halfLifeSpan is { } h) learning = learning with { HalfLife = h };
            if (parseResult.GetValue(maxNeighbors) is { } k) learning = learning with { MaxNeighbors = k };
            // Before the orders are learned and a ranker trained: a value the engine refuses names its option now.
            if (!EngineInputs.TryValidate(error, () => { recommendation.Validate(); learning.Validate(); }, Flags)) return 2;

            var variants = new List<(string, RecommendationOptions)>();
            if (parseResult.GetValue(compare))
            {
                foreach (var measure in Enum.GetValues<SimilarityMeasure>())
                    if (measure != recommendation.Similarity)
                        variants.Add(($"basket-aware ({Similarity.Name(measure)})", recommendation with { Similarity = measure }));
                variants.Add(("basket-aware (uniform basket)", recommendation with { RecencyDecay = 1 }));
                variants.Add(("basket-aware (no shrinkage)", recommendation with { Shrinkage = 0 }));
                variants.Add(("basket-aware (no diversity)", recommendation with { Diversity = new() { MaxPerLeafCategory = 0, NearDuplicates = false } }));
                if (cat is not null)
                {
                    variants.Add(("basket-aware (substitutes allowed)", recommendation with { ExcludeSubstitutes = false }));
                    variants.Add(("basket-aware (no price band, no margin)", recommendation with { PriceBandHalfDistance = 1e6, MarginWeight = 0 }));
                    variants.Add(("basket-aware (relevance only)", recommendation with { ExcludeSubstitutes = false, PriceBandHalfDistance = 1e6, MarginWeight = 0, MaxPriceShare = 10 }));
                }
            }

            var evalOrders = read.Orders.Select(EngineInputs.ToEvalOrder).ToList();
            TrainingReport? training = null;
            if (modelSpec == "train")
            {
                var (trainPart, _) = OfflineEvaluation.Split(evalOrders, parseResult.GetValue(testFraction));
                ranking = EngineInputs.TrainRanker(trainPart, cat, new RankerTrainerOptions { Recommendation = recommendation, Learning = learning },
                    error, out training, cancellationToken);
            }
            var learnedVariants = new List<(string, RecommendationOptions)>();
            if (ranking is not null && parseResult.GetValue(compare) && cat is not null)
            {
                learnedVariants.Add(("learned (category substitutes)", recommendation with { Substitutes = SubstituteEvidence.Category }));
                learnedVariants.Add(("learned (no diversity)", recommendation with { Diversity = new() { MaxPerLeafCategory = 0, NearDuplicates = false } }));
                learnedVariants.Add(("learned (no price band, no margin)", recommendation with { PriceBandHalfDistance = 1e6, MarginWeight = 0 }));
                learnedVariants.Add(("learned (relevance only)", recommendation with { ExcludeSubstitutes = false, PriceBandHalfDistance = 1e6, MarginWeight = 0, MaxPriceShare = 10 }));
            }

            EvaluationReport report;
            try
            {
                report = OfflineEvaluation.Run(evalOrders, cat,
                    new EvaluationOptions
                    {
                        TestFraction = parseResult.GetValue(testFraction),
                        Seed = parseResult.GetValue(seed),
                        Targets = target,
                        Learning = learning,
                        Recommendation = recommendation,
                        Variants = variants,
                        Model = ranking,
                        LearnedVariants = learnedVariants,
                        Merchandising = merchandising,
                        CartCurrency = cartCurrency,
                        CartCountry = cartCountry,
                    }, new CartCrossSell.Cli.Hosting.SynchronousProgress<string>(m => error.WriteLine($"eval: {m}")), cancellationToken);
            }
            catch (ArgumentException ex)
            {
                error.WriteLine($"invalid option: {ex.Message}");
                return 2;
            }

            // Written once the evaluation is done: a cancelled run writes nothing.
            if (ranking is not null && parseResult.GetValue(saveModel) is { } savePath) File.WriteAllBytes(savePath, ranking.ToBytes());
            output.WriteLine($"Orders file: {ordersPath} ({read.Format}, {read.Orders.Count} orders, {read.Problems.Count} bad lines skipped); catalog: {catalogDescription}.");
            output.WriteLine($"Engine: similarity {Similarity.Name(recommendation.Similarity)}, recency decay {F(recommendation.RecencyDecay)}, recency floor {F(recommendation.RecencyFloor)}, shrinkage {F(recommendation.Shrinkage)}, min support {F(recommendation.MinSupport)}, half-life {F(learning.HalfLife.TotalDays)} days, {learning.MaxNeighbors} neighbours per row; targets {target.ToString().ToLowerInvariant()}, test fraction {F(parseResult.GetValue(testFraction))}, seed {parseResult.GetValue(seed)}.");
            if (merchandising is not null)
                output.WriteLine($"Merchandising: {merchandising.Count} rules from {parseResult.GetValue(rules)} (rows \"+ rules\"); carts' currency {cartCurrency ?? "unknown"}, country {cartCountry ?? "unknown"}.");
            output.WriteLine();
            output.Write(EvaluationTable.Markdown(report));
            if (training is not null) output.Write(EvaluationTable.Training(training.ShowThreshold, training.ThresholdCurve,
                $"{training.FitTasks} fit tasks ({training.FitRows} rows, hidden item among the candidates in {(double)training.FitTasksReachable / Math.Max(1, training.FitTasks):P0}), {training.ValidationCases} validation carts from {training.ValidationFrom:yyyy-MM-dd HH:mm}, trained in {training.Elapsed.TotalSeconds:F1} s, export checked to {training.MaxExportDifference:G2}"));
            if (training is not null)
                output.WriteLine("Would serve with these orders and settings (as recommend-batch and the stream's first model decide): " + (training.Promotion.Promote
                    ? $"the learned ranker; {training.Promotion.Reason}."
                    : $"the heuristic, which ranks the validation carts better; {training.Promotion.Reason}. The learned rows above measure the model all the same."));
            if (training is not null && ranking is not null && parseResult.GetValue(chart) is { } chartPath)
            {
                ThresholdChart.Draw(training.ThresholdCurve, training.ShowThreshold, ranking.Version, chartPath);
                output.WriteLine($"Chart written to {chartPath}");
            }
            var jsonPath = parseResult.GetValue(json)!;
            WriteJson(jsonPath, ordersPath, catalogDescription, recommendation, learning, report);
            output.WriteLine();
            output.WriteLine($"JSON written to {jsonPath}");
            return 0;
        }
    }

    /// <summary>A hundred years: longer, decay is nil over any history, and the day count overflows a time span.</summary>
    private const int MaxHalfLifeDays = 36_500;

    /// <summary>The half-life of the learned counts in days (eval and train-ranker learn the orders alike).</summary>
    internal static Option<double?> HalfLifeOption() => new("--half-life-days") { Description = "Decay half-life of the learned counts in days (default 30)" };

    /// <summary>A <c>--half-life-days</c> value as a span (null when not given); false, with the message written, when out of range.</summary>
    internal static bool TryHalfLife(double? days, TextWriter error, out TimeSpan? halfLife)
    {
        halfLife = null;
        if (days is not { } h) return true;
        if (h is not (> 0 and <= MaxHalfLifeDays))
        {
            error.WriteLine($"invalid option --half-life-days: must be in (0, {MaxHalfLifeDays}] (was {h.ToString(CultureInfo.InvariantCulture)})");
            return false;
        }
        halfLife = TimeSpan.FromDays(h);
        return true;
    }

    /// <summary>The options behind the settings the engine validates, to name them in an error.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Similarity"] = "--similarity", ["RecencyDecay"] = "--recency-decay", ["RecencyFloor"] = "--recency-floor",
        ["Shrinkage"] = "--shrinkage", ["MinSupport"] = "--min-support", ["HalfLife"] = "--half-life-days",
        ["MaxNeighbors"] = "--max-neighbors", ["MaxPerLeafCategory"] = "--max-per-leaf-category",
        ["NearDuplicateMaxDifferingWords"] = "--near-duplicates",
    };

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static void WriteJson(string path, string ordersPath, string catalog, RecommendationOptions o, LearningOptions learning, EvaluationReport report)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("orders", ordersPath);
        w.WriteString("catalog", catalog);
        w.WriteStartObject("engine");
        w.WriteString("similarity", Similarity.Name(o.Similarity));
        w.WriteNumber("recencyDecay", o.RecencyDecay);
        w.WriteNumber("recencyFloor", o.RecencyFloor);
        w.WriteNumber("shrinkage", o.Shrinkage);
        w.WriteNumber("minSupport", o.MinSupport);
        w.WriteNumber("relativeScoreFloor", o.RelativeScoreFloor);
        w.WriteNumber("halfLifeDays", learning.HalfLife.TotalDays);
        w.WriteNumber("maxNeighbors", learning.MaxNeighbors);
        w.WriteEndObject();
        w.WriteNumber("orderCount", report.Orders);
        w.WriteNumber("trainOrders", report.TrainOrders);
        w.WriteNumber("testOrders", report.TestOrders);
        w.WriteNumber("testBaskets", report.TestBaskets);
        w.WriteStartObject("ineligibleBaskets");
        foreach (var (protocol, count) in report.IneligibleBaskets) w.WriteNumber(EvaluationTable.ProtocolName(protocol), count);
        w.WriteEndObject();
        w.WriteNumber("catalogSize", report.CatalogSize);
        w.WriteString("splitAt", report.SplitAt);
        w.WriteStartArray("results");
        foreach (var r in report.Results)
        {
            w.WriteStartObject();
            w.WriteString("strategy", r.Strategy);
            w.WriteString("protocol", EvaluationTable.ProtocolName(r.Protocol));
            w.WriteNumber("baskets", r.Baskets);
            w.WriteNumber("hr1", r.HitRateAt1);
            w.WriteNumber("hr3", r.HitRateAt3);
            w.WriteNumber("ndcg3", r.NdcgAt3);
            w.WriteNumber("mrr10", r.MrrAt10);
            w.WriteNumber("catalogCoverage", r.CatalogCoverage);
            w.WriteNumber("duplicateShare", r.DuplicateShare);
            if (r.SubstituteShare is { } sub) w.WriteNumber("substituteShare", sub); else w.WriteNull("substituteShare");
            if (r.PriceBandShare is { } band) w.WriteNumber("priceBandShare", band); else w.WriteNull("priceBandShare");
            w.WriteNumber("meanAddOns", r.MeanAddOns);
            w.WriteNumber("emptyShare", r.EmptyShare);
            w.WriteNumber("hitRevenuePerBasket", r.HitRevenuePerBasket);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (report.ModelVersion is { } version) w.WriteString("modelVersion", version);
        w.WriteStartArray("candidateRecall");
        foreach (var c in report.CandidateRecall)
        {
            w.WriteStartObject();
            w.WriteString("protocol", EvaluationTable.ProtocolName(c.Protocol));
            w.WriteNumber("baskets", c.Baskets);
            w.WriteNumber("union", c.Union);
            w.WriteNumber("meanCandidates", c.MeanCandidates);
            foreach (var (source, share) in c.BySource) w.WriteNumber(source, share);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("notes");
        foreach (var n in report.Notes) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
