using System.CommandLine;
using System.Globalization;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell train-ranker</c>: trains the learned ranker on an orders file and writes the model file that
/// <c>recommend-batch --model</c> and <c>eval --model</c> load. Prints what it measured on its validation slice; every
/// setting is chosen there (the newest share of the orders given, or of the part before <c>--test-fraction</c>).
/// </summary>
public static class TrainRankerCommand
{
    public static Command Create()
    {
        var orders = new Option<string>("--orders") { Description = "Training orders (the formats of recommend-batch)", Required = true };
        var ordersFormat = EngineInputs.OrdersFormatOption();
        var catalog = new Option<string?>("--catalog") { Description = "Catalog JSON Lines, 'derived' or 'none' (default: derived for Online Retail, else none)" };
        var output = new Option<string>("--out") { Description = "Where to write the model", Required = true };
        var testFraction = new Option<double>("--test-fraction") { Description = "Leave out the newest share of the orders (as eval does), so the model never sees them", DefaultValueFactory = _ => 0 };
        var objective = new Option<string>("--objective") { Description = "binary or lambdarank", DefaultValueFactory = _ => "binary" };
        var trees = new Option<int?>("--trees") { Description = "Boosting rounds" };
        var leaves = new Option<int?>("--leaves") { Description = "Leaves per tree" };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Shrinkage of each tree" };
        var featureFraction = new Option<double?>("--feature-fraction") { Description = "Share of the features each tree may split on (default 1)" };
        var baggingFraction = new Option<double?>("--bagging-fraction") { Description = "Share of the fit rows each tree is grown on (default 1)" };
        var maxTasks = new Option<int?>("--max-tasks") { Description = "At most this many training tasks" };
        var warmup = new Option<double?>("--warmup-fraction") { Description = "Oldest share of the fit orders that is only learned, never a task (default 0.2)" };
        var halfLife = EvalCommand.HalfLifeOption();
        var window = new Option<int?>("--sequence-window") { Description = "Order-of-addition window in lines (0: none)" };
        var negatives = new Option<int?>("--random-negatives") { Description = "Random negatives per training task (besides the hardest; default 60)" };
        var hardNegatives = new Option<int?>("--hard-negatives") { Description = "Negatives per training task ranked highest by any source (default 30)" };
        var validationBaskets = new Option<int?>("--validation-baskets") { Description = "At most this many validation baskets, each under both protocols (default 3000)" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the trees (default 1); the tasks and validation carts do not change with it" };
        var taskMix = new Option<string?>("--task-mix") { Description = "Fit only on random-item, mostly-random, both, mostly-last-added or last-added tasks (default: from both, towards the weaker protocol while validation improves)" };
        var mixStep = new Option<double?>("--mix-step-errors") { Description = "A step of the task-mix walk must raise validation by more than this many standard errors of the change (default 1; 0: any rise)" };
        var inService = new Option<string?>("--in-service") { Description = "The model in service: the new model is written only if it is not worse on the same validation carts (exit code 3 otherwise)" };
        var chart = new Option<string?>("--chart") { Description = "Also draw the show-threshold curve (HR@3 against add-ons per cart, validation) as a PNG" };
        var depth = new Option<int?>("--candidate-depth") { Description = "Candidates taken from the basket source (the others scale with it)" };
        var similarNeighbors = new Option<int?>("--similar-neighbors") { Description = "The most similar past baskets whose items the similar-baskets source scores (default 50; serve with the same Recommender:SimilarBaskets:Neighbors)" };
        var similarSample = new Option<int?>("--similar-sample") { Description = "The newest past baskets of each cart item compared with the cart (default 1000; serve with the same Recommender:SimilarBaskets:SamplePerItem)" };
        var cascadeChanged = new Option<double?>("--cascade-max-changed") { Description = "Share of validation lists the scoring cascade may change against full scoring (default 0.01; negative: no cascade, every candidate scored by every tree)" };

        var command = new Command("train-ranker", "Train the learned ranker (Microsoft.ML LightGBM) on orders and write the model file")
        {
            orders, ordersFormat, catalog, output, testFraction, objective, trees, leaves, learningRate, featureFraction, baggingFraction, maxTasks, warmup, depth, halfLife, window, negatives, hardNegatives,
            validationBaskets, seed, taskMix, mixStep, inService, chart, cascadeChanged, similarNeighbors, similarSample,
        };
        // The token is cancelled by Ctrl+C or SIGTERM: training, evaluating and ranking stop at their next order or cart,
        // and the command ends "cancelled" (130) without writing its output.
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
        return command;

        int Run(ParseResult parseResult, CancellationToken cancellationToken)
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var path = parseResult.GetValue(orders)!;
            if (!File.Exists(path))
            {
                error.WriteLine($"file not found: {path}");
                return 2;
            }
            if (!EngineInputs.TryOrdersFormat(parseResult, ordersFormat, error, out var format)) return 2;
            if (!Enum.TryParse<RankingObjective>(parseResult.GetValue(objective), ignoreCase: true, out var goal) || !Enum.IsDefined(goal))
            {
                error.WriteLine($"unknown --objective '{parseResult.GetValue(objective)}': use binary or lambdarank");
                return 2;
            }
            var fraction = parseResult.GetValue(testFraction);
            if (fraction is not (>= 0 and < 1))
            {
                error.WriteLine($"--test-fraction must be in [0, 1), was {fraction.ToString(CultureInfo.InvariantCulture)}");
                return 2;
            }
            // The model in service is read whole before anything is written: --out may replace it (exit 3 leaves it).
            if (!EngineInputs.TryOutputs(error, [path, parseResult.GetValue(catalog)],
                    ("--out", parseResult.GetValue(output)), ("--chart", parseResult.GetValue(chart))))
                return 2;
            // A model in service that reads other features is loaded all the same: promotion then always replaces it.
            RankingModel? current = null;
            if (parseResult.GetValue(inService) is { } currentPath && !EngineInputs.TryLoadModel(currentPath, error, servable: false, out current)) return 2;
            var read = EngineInputs.ReadOrders(path, error, format);
            var (cat, catalogDescription, multiBuy) = EngineInputs.ReadCatalog(parseResult.GetValue(catalog), read, error);
            IReadOnlyList<EvalOrder> evalOrders = read.Orders.Select(EngineInputs.ToEvalOrder).ToList();
            if (fraction > 0) evalOrders = OfflineEvaluation.Split(evalOrders, fraction).Train;

            var defaults = new RankerTrainerOptions();
            var mixes = defaults.TaskMixes;
            if (parseResult.GetValue(taskMix) is { } mixText)
            {
                var found = Enum.GetValues<TaskMix>().Where(m => RankerTrainer.MixName(m) == mixText).ToList();
                if (found.Count == 0)
                {
                    error.WriteLine($"unknown --task-mix '{mixText}': use random-item, mostly-random, both, mostly-last-added or last-added");
                    return 2;
                }
                mixes = found;
            }
            var candidates = defaults.CandidatesInUse;
            if (parseResult.GetValue(depth) is { } d)
            {
                var scale = (double)d / candidates.BasketDepth;
                int S(int v) => (int)Math.Round(v * scale);
                candidates = candidates with
                {
                    BasketDepth = d, LastItemsDepth = S(candidates.LastItemsDepth), SequenceDepth = S(candidates.SequenceDepth),
                    CategoryDepth = S(candidates.CategoryDepth), PopularDepth = S(candidates.PopularDepth),
                    SimilarBasketsDepth = S(candidates.SimilarBasketsDepth),
                };
            }
            if (!EvalCommand.TryHalfLife(parseResult.GetValue(halfLife), error, out var halfLifeSpan)) return 2;
            var options = defaults with
            {
                Objective = goal,
                Trees = parseResult.GetValue(trees) ?? defaults.Trees,
                Leaves = parseResult.GetValue(leaves) ?? defaults.Leaves,
                LearningRate = parseResult.GetValue(learningRate) ?? defaults.LearningRate,
                FeatureFraction = parseResult.GetValue(featureFraction) ?? defaults.FeatureFraction,
                BaggingFraction = parseResult.GetValue(baggingFraction) ?? defaults.BaggingFraction,
                Seed = parseResult.GetValue(seed) ?? defaults.Seed,
                Candidates = candidates,
                Tasks = defaults.Tasks with
                {
                    MaxFitTasks = parseResult.GetValue(maxTasks) ?? defaults.Tasks.MaxFitTasks,
                    WarmupFraction = parseResult.GetValue(warmup) ?? defaults.Tasks.WarmupFraction,
                    RandomNegatives = parseResult.GetValue(negatives) ?? defaults.Tasks.RandomNegatives,
                    HardNegatives = parseResult.GetValue(hardNegatives) ?? defaults.Tasks.HardNegatives,
                    MaxValidationBaskets = parseResult.GetValue(validationBaskets) ?? defaults.Tasks.MaxValidationBaskets,
                    SimilarBaskets = defaults.Tasks.SimilarBaskets with
                    {
                        Neighbors = parseResult.GetValue(similarNeighbors) ?? defaults.Tasks.SimilarBaskets.Neighbors,
                        SamplePerItem = parseResult.GetValue(similarSample) ?? defaults.Tasks.SimilarBaskets.SamplePerItem,
                    },
                },
                TaskMixes = mixes,
                MixStepStandardErrors = parseResult.GetValue(mixStep) ?? defaults.MixStepStandardErrors,
                InService = current,
                CascadeMaxChangedLists = parseResult.GetValue(cascadeChanged) ?? defaults.CascadeMaxChangedLists,
                Learning = defaults.Learning with
                {
                    SequenceWindow = parseResult.GetValue(window) ?? defaults.Learning.SequenceWindow,
                    HalfLife = halfLifeSpan ?? defaults.Learning.HalfLife,
                },
                Recommendation = new RecommendationOptions { MultiBuyCategories = multiBuy },
            };
            if (!EngineInputs.TryValidate(error, options.Validate, Flags)) return 2;
            if (EngineInputs.TrainRanker(evalOrders.ToList(), cat, options, error, out var trained, cancellationToken) is not { } model
                || trained is not { } report)
                return 1;
            if (current is not null && !report.Promotion.Promote)
            {
                stdout.WriteLine($"Not promoted over {current.Version}: {report.Promotion.Reason}. Model not written.");
                return 3;
            }
            if (current is not null) stdout.WriteLine($"Promoted over {current.Version}: {report.Promotion.Reason}.");
            else if (!report.Promotion.Promote)
                // The file is what was asked for; what it would replace is the heuristic, and it would rank worse.
                stdout.WriteLine($"Note: the heuristic ranks these validation carts better: {report.Promotion.Reason}. The in-stream trainer would not put this model in service, and recommend-batch without --model ranks with the heuristic.");
            var outPath = parseResult.GetValue(output)!;
            var bytes = model.ToBytes();
            File.WriteAllBytes(outPath, bytes);
            stdout.WriteLine($"Trained {model.Version} on {evalOrders.Count} orders ({read.Problems.Count} bad lines skipped); catalog: {catalogDescription}.");
            stdout.Write(EvaluationTable.Training(report.ShowThreshold, report.ThresholdCurve,
                $"{model.Description}; {report.FitRows} rows; validation from {report.ValidationFrom:yyyy-MM-dd HH:mm}, candidate recall {report.CandidateRecall:P1}, {report.Elapsed.TotalSeconds:F1} s"));
            stdout.WriteLine();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Validation HR@3 at the chosen threshold: {report.ValidationHitRateAt3LastAdded:0.000} (last added), {report.ValidationHitRateAt3Random:0.000} (random item)."));
            foreach (var (protocol, baselines) in report.ValidationBaselines)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Validation baselines ({EvaluationTable.ProtocolName(protocol)}): {string.Join(", ", baselines.Select(b => $"{b.Key} {b.Value:0.000}"))}; learned / best = {report.RatioToBestBaseline(protocol):0.00}."));
            foreach (var recall in report.ValidationRecall)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Validation candidate recall ({EvaluationTable.ProtocolName(recall.Protocol)}): {recall.Union:P1} of {recall.MeanCandidates:0} candidates ({string.Join(", ", recall.BySource.Select(s => $"{s.Key} {s.Value:P1}"))})."));
            foreach (var mix in report.TaskMixes)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Task mix {RankerTrainer.MixName(mix.Mix)}: validation HR@3 {mix.LastAdded:0.000} / {mix.Random:0.000} (no threshold), {mix.Ratio:0.00} x the best baseline of the weaker protocol{(mix.StepStandardError > 0 ? $" (the step to it: standard error {mix.StepStandardError:0.000})" : "")}."));
            if (report.Cascade is { } cascade)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Scoring cascade: {model.Cascade} (validation HR@3 with full scoring {cascade.FullHitRateAt3LastAdded:0.000} / {cascade.FullHitRateAt3Random:0.000}); tried, in order of planned cost (the share printed is as served):"));
                foreach (var t in cascade.Trials)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  first {t.Cascade.FirstTrees} trees, keep {t.Cascade.Keep}: {t.NodeShare:P0} of the tree walks{(t.FallbackShare > 0 ? $" ({t.FallbackShare:P1} of the carts scored again in full)" : "")}, {t.ChangedLists:P1} of the lists changed, HR@3 {t.HitRateAt3LastAdded:0.000} / {t.HitRateAt3Random:0.000}{(t.Accepted ? ", chosen" : "")}"));
            }
            if (model.Candidates is { } fitted)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Candidate settings recorded in the model (a recommender serves it with them): {string.Join(", ", fitted.Settings().Select(s => $"{s.Name} {s.Value}"))}."));
            stdout.WriteLine($"Model written to {outPath} ({bytes.Length} bytes).");
            if (parseResult.GetValue(chart) is { } chartPath)
            {
                ThresholdChart.Draw(report.ThresholdCurve, report.ShowThreshold, model.Version, chartPath);
                stdout.WriteLine($"Chart written to {chartPath}.");
            }
            return 0;
        }
    }

    /// <summary>The options behind the settings the trainer validates, to name them in an error.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Trees"] = "--trees", ["Leaves"] = "--leaves", ["LearningRate"] = "--learning-rate",
        ["FeatureFraction"] = "--feature-fraction", ["BaggingFraction"] = "--bagging-fraction",
        ["MaxFitTasks"] = "--max-tasks", ["WarmupFraction"] = "--warmup-fraction", ["RandomNegatives"] = "--random-negatives",
        ["HardNegatives"] = "--hard-negatives", ["MaxValidationBaskets"] = "--validation-baskets",
        ["SequenceWindow"] = "--sequence-window", ["CascadeMaxChangedLists"] = "--cascade-max-changed",
        ["BasketDepth"] = "--candidate-depth", ["LastItemsDepth"] = "--candidate-depth", ["SequenceDepth"] = "--candidate-depth",
        ["CategoryDepth"] = "--candidate-depth", ["PopularDepth"] = "--candidate-depth", ["SimilarBasketsDepth"] = "--candidate-depth",
        ["Neighbors"] = "--similar-neighbors", ["SamplePerItem"] = "--similar-sample", ["MixStepStandardErrors"] = "--mix-step-errors",
    };
}
