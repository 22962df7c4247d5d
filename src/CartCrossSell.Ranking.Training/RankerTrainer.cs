using System.Diagnostics;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace CartCrossSell.Ranking.Training;

/// <summary>The training objective of the gradient-boosted trees.</summary>
public enum RankingObjective
{
    /// <summary>Is this candidate the hidden item (log loss): scores calibrate to probabilities directly.</summary>
    Binary,
    /// <summary>LambdaRank on NDCG within each task.</summary>
    LambdaRank,
}

/// <summary>Which self-supervised tasks a model is fitted on.</summary>
public enum TaskMix
{
    /// <summary>Only the tasks that hide a random item of the order.</summary>
    RandomItem,
    /// <summary>Both tasks of every order (last-added and random hidden), 1:1.</summary>
    Both,
    /// <summary>Only the tasks that hide the last-added item.</summary>
    LastAdded,
    /// <summary>Every random-item task and every second last-added task (one third last-added).</summary>
    MostlyRandom,
    /// <summary>Every last-added task and every second random-item task (two thirds last-added).</summary>
    MostlyLastAdded,
}

/// <summary>Settings of <see cref="RankerTrainer"/>; the defaults are the ones measured in docs/engine.md.</summary>
public sealed record RankerTrainerOptions
{
    public RankingObjective Objective { get; init; } = RankingObjective.Binary;
    public int Trees { get; init; } = 150;
    public int Leaves { get; init; } = 15;
    public double LearningRate { get; init; } = 0.05;
    public int MinExamplesPerLeaf { get; init; } = 50;

    /// <summary>Share of the features each tree may split on (LightGBM's feature_fraction); 1: all.</summary>
    public double FeatureFraction { get; init; } = 1;

    /// <summary>Share of the fit rows each tree is grown on, drawn anew for every tree (LightGBM's bagging); 1: all.</summary>
    public double BaggingFraction { get; init; } = 1;
    public int Threads { get; init; } = 2;
    public int Seed { get; init; } = 1;

    /// <summary>
    /// The task mixes a model may be fitted on; the one whose model is best on validation against the best baseline of
    /// its weaker protocol is kept. The trainer starts from the mix nearest 1:1 and walks towards the weaker protocol's
    /// tasks while that improves (<see cref="RankerTrainer.WalkOrder"/>). Default all five. When the orders' lines are
    /// in a fixed sort order (<see cref="LineOrder"/>) only <see cref="TaskMix.RandomItem"/> is fitted, if listed.
    /// </summary>
    public IReadOnlyList<TaskMix> TaskMixes { get; init; } =
        [TaskMix.RandomItem, TaskMix.MostlyRandom, TaskMix.Both, TaskMix.MostlyLastAdded, TaskMix.LastAdded];

    /// <summary>
    /// A step of the task-mix walk is taken only when it raises the walk's measure on validation by more than this many
    /// standard errors of the change (<see cref="MixStep"/>, a paired bootstrap over the validation orders). Default 1
    /// (the one-standard-error rule); 0: any rise.
    /// </summary>
    public double MixStepStandardErrors { get; init; } = 1;

    /// <summary>
    /// Below this many training tasks whose hidden item is among the candidates, or this many validation carts, no
    /// model is trained (a model of a few dozen orders is noise; the heuristic ranks instead). Defaults 200 and 100.
    /// </summary>
    public int MinReachableTasks { get; init; } = 200;
    public int MinValidationCases { get; init; } = 100;

    /// <summary>The show threshold gives up at most this share of validation hits. Default 0.03.</summary>
    public double MaxHitLoss { get; init; } = 0.03;

    /// <summary>
    /// The model in service, if any: it is scored on the same validation carts as the new one, and the report says
    /// whether the new one may replace it (<see cref="TrainingReport.Promotion"/>).
    /// </summary>
    public RankingModel? InService { get; init; }

    /// <summary>
    /// The scoring cascade (<see cref="ScoringCascade"/>) may change the shown list of at most this share of the
    /// validation carts against full scoring, and may not lower either protocol's validation HR@3; the cheapest such
    /// pair of <see cref="CascadeChooser"/>'s grid is stored in the model. Negative: no cascade (full scoring).
    /// Default 0.01.
    /// </summary>
    public double CascadeMaxChangedLists { get; init; } = 0.01;

    public LearningOptions Learning { get; init; } = new();
    /// <summary>
    /// The candidate sources' depths and weights. Default null: <see cref="CandidateOptions.For"/> the
    /// <see cref="Recommendation"/> rules, as the serving ranker builds them, so a service configured with other
    /// recency weights trains on the features it serves.
    /// </summary>
    public CandidateOptions? Candidates { get; init; }

    /// <summary>The candidate options a training uses: <see cref="Candidates"/>, or the serving ranker's.</summary>
    public CandidateOptions CandidatesInUse => Candidates ?? CandidateOptions.For(Recommendation);
    public RankingTrainingOptions Tasks { get; init; } = new();

    /// <summary>The cart rules the show threshold is chosen under (the serving ranker's options).</summary>
    public RecommendationOptions Recommendation { get; init; } = new();

    public void Validate()
    {
        if (Trees is < 1 or > 5000) throw new ArgumentOutOfRangeException(nameof(Trees), "must be between 1 and 5000");
        if (Leaves is < 2 or > 1024) throw new ArgumentOutOfRangeException(nameof(Leaves), "must be between 2 and 1024");
        if (LearningRate is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(LearningRate), "must be in (0, 1]");
        if (MinExamplesPerLeaf < 1) throw new ArgumentOutOfRangeException(nameof(MinExamplesPerLeaf), "must be positive");
        if (FeatureFraction is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(FeatureFraction), "must be in (0, 1]");
        if (BaggingFraction is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(BaggingFraction), "must be in (0, 1]");
        if (TaskMixes.Count == 0 || TaskMixes.Any(m => !Enum.IsDefined(m)))
            throw new ArgumentOutOfRangeException(nameof(TaskMixes), "needs at least one task mix");
        if (!(MixStepStandardErrors is >= 0 and <= 10)) throw new ArgumentOutOfRangeException(nameof(MixStepStandardErrors), MixStepStandardErrors, "must be between 0 and 10");
        if (MaxHitLoss is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(MaxHitLoss), "must be in [0, 1)");
        if (double.IsNaN(CascadeMaxChangedLists) || CascadeMaxChangedLists > 1)
            throw new ArgumentOutOfRangeException(nameof(CascadeMaxChangedLists), "must be at most 1 (negative: no cascade)");
        CandidatesInUse.Validate();
        Tasks.Validate();
        Learning.Validate();
        Recommendation.Validate();
    }
}

/// <summary>
/// The promotion decision: the new model and what serves today ranked the same validation carts, each as it serves (a
/// model at its own show threshold), scored as the trainer chooses task mixes (HR@3 of the weaker protocol over its
/// best baseline). The new model is promoted only if it is not worse. Without a model in service the heuristic
/// (<see cref="AddOnRanker"/>, every cart rule) is what serves, so a first model must not be worse than the heuristic:
/// on a store with little history the trees may not be, and the recommender would be better off without them.
/// </summary>
public sealed record ModelPromotion(bool Promote, string Reason, double Candidate, double InService)
{
    /// <summary>Whether the decision compared the new model with the heuristic (no model in service).</summary>
    public bool AgainstHeuristic { get; init; }

    /// <summary>
    /// The standard error of <see cref="Candidate"/> − <see cref="InService"/> (<see cref="MixStep.StandardError"/>: a
    /// paired bootstrap over the validation orders), so an operator can tell a promotion or a refusal by a margin the
    /// slice resolves from one within its noise. Reported, not decided on: the rule stays "not worse". Null where the
    /// model in service was not scored (it reads other features).
    /// </summary>
    public double? StandardError { get; init; }
}

/// <summary>What one training run did and measured on its validation slice.</summary>
public sealed record TrainingReport(
    int Orders,
    int FitTasks,
    int FitTasksReachable,
    int FitRows,
    int ValidationCases,
    int ValidationRows,
    DateTimeOffset ValidationFrom,
    IReadOnlyList<ThresholdPoint> ThresholdCurve,
    double ShowThreshold,
    double ValidationHitRateAt3LastAdded,
    double ValidationHitRateAt3Random,
    double CandidateRecall,
    double MaxExportDifference,
    TimeSpan Elapsed)
{
    /// <summary>HR@3 of the simple baselines on the same validation carts, by protocol then strategy.</summary>
    public IReadOnlyDictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>> ValidationBaselines { get; init; } =
        new Dictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>>();

    /// <summary>Whether the new model may replace the one in service, judged on the same validation carts.</summary>
    public ModelPromotion Promotion { get; init; } = new(true, "not judged", 0, 0);

    /// <summary>Candidate recall on the validation carts, per protocol (per source and in union).</summary>
    public IReadOnlyList<CandidateRecall> ValidationRecall { get; init; } = [];

    /// <summary>The scoring cascade chosen on validation and the pairs tried; null when none was looked for.</summary>
    public CascadeReport? Cascade { get; init; }

    /// <summary>How the orders' lines are ordered: a fixed sort order restricts the tasks to random-item ones.</summary>
    public LineOrder LineOrder { get; init; } = new(0, 0);

    /// <summary>
    /// Each task mix tried, in the walk's order: validation HR@3 per protocol (no threshold), its ratio to the best
    /// baselines (of the weaker protocol), and the standard error of the step to it from the mix kept before it (0 for
    /// the first mix fitted; <see cref="MixStep"/>).
    /// </summary>
    public IReadOnlyList<(TaskMix Mix, double LastAdded, double Random, double Ratio, double StepStandardError)> TaskMixes { get; init; } = [];

    /// <summary>The learned HR@3 over the best baseline's, per protocol (above 1: the ranker wins).</summary>
    public double RatioToBestBaseline(HoldoutProtocol protocol)
    {
        var learned = protocol == HoldoutProtocol.LastAdded ? ValidationHitRateAt3LastAdded : ValidationHitRateAt3Random;
        var best = ValidationBaselines.TryGetValue(protocol, out var b) && b.Count > 0 ? b.Values.Max() : 0;
        return best > 0 ? learned / best : double.PositiveInfinity;
    }
}

/// <summary>
/// Trains the learned ranker from orders: self-supervised tasks (<see cref="RankingTrainingData"/>), gradient-boosted
/// trees with Microsoft.ML's LightGBM, exported to the engine's <see cref="TreeEnsemble"/> (checked to score every
/// validation row as Microsoft.ML does), Platt calibration and the show threshold on the validation slice.
/// </summary>
public static class RankerTrainer
{
    public static (RankingModel Model, TrainingReport Report) Train(
        IReadOnlyCollection<EvalOrder> orders, ICatalog? catalog, RankerTrainerOptions? options = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new RankerTrainerOptions();
        options.Validate();
        var watch = Stopwatch.StartNew();
        void Report(string message) => progress?.Report($"[{watch.Elapsed.TotalSeconds,5:F1} s] {message}");
        // Without a catalog every learned sku is a product (the catalog-less rules), as in recommend-batch.
        var recommendation = catalog is null ? options.Recommendation with { AllowUnknownItems = true } : options.Recommendation;
        var candidates = options.CandidatesInUse;
        var generator = new CandidateGenerator(candidates);
        // What the model records and is served with: these candidate settings, with the similar baskets read as the
        // training's index reads them.
        var fittedWith = candidates.ReadingSimilarBasketsAs(options.Tasks.SimilarBaskets);
        Report($"drawing training tasks from {orders.Count} orders");
        var data = RankingTrainingData.Build(orders, catalog, options.Learning, generator, options.Tasks, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (data.FitTasksReachable < options.MinReachableTasks || data.ValidationCases.Count < options.MinValidationCases)
            throw new InvalidOperationException(
                $"not enough orders to train a ranker: {data.FitTasksReachable} training tasks with the hidden item among the candidates " +
                $"(at least {options.MinReachableTasks}) and {data.ValidationCases.Count} validation carts (at least {options.MinValidationCases})");
        var baselines = Baselines(data, catalog, options);
        var ml = new MLContext(seed: options.Seed);

        // The share of last-added tasks is chosen on validation: where the order of addition carries information
        // (invoice lines) more last-added tasks pay; where it does not (a point-of-sale file in a fixed item order)
        // they teach an ordering that misleads every other cart.
        Candidate? best = null;
        var tried = new List<(TaskMix Mix, double LastAdded, double Random, double Ratio, double StepStandardError)>();
        var bestLastAdded = BestBaseline(baselines, HoldoutProtocol.LastAdded);
        var bestRandom = BestBaseline(baselines, HoldoutProtocol.RandomItem);
        var caseOrders = data.ValidationCases.Select(c => c.OrderId).ToArray();
        var caseProtocols = data.ValidationCases.Select(c => c.Protocol).ToArray();
        // The noise of a change from one list of validation hits to another (the walk's steps, the promotion).
        double ChangeError(bool[] from, bool[] to) => MixStep.StandardError(caseOrders, caseProtocols, from, to, bestLastAdded, bestRandom, seed: options.Seed);
        // from: the mix kept so far (null for the walk's first fit), whose step to this mix is measured against its noise.
        Candidate? FitMix(TaskMix mix, Candidate? from)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = MixRows(data.Fit, mix);
            if (rows.Count == 0 || !rows.Any(r => data.Fit.Labels[r])) return null;
            Report($"fitting {options.Trees} trees on {rows.Count} rows, task mix {MixName(mix)} ({options.Objective})");
            // A context of its own per mix: a model must not depend on which mixes were fitted before it (a shared
            // context's random state made the same mix differ by 0.016 HR@3 on a validation protocol).
            var context = new MLContext(seed: options.Seed);
            var fitView = context.Data.LoadFromEnumerable(Rows(data.Fit, rows), ExampleRow.Schema);
            var (ensemble, transformer) = Fit(context, fitView, options);
            cancellationToken.ThrowIfCancellationRequested();
            var scores = new double[data.Validation.Count];
            for (var i = 0; i < scores.Length; i++) scores[i] = ensemble.Score(data.Validation.Row(i));
            var (a, b) = PlattScaling.Fit(scores, data.Validation.Labels);
            var model = new RankingModel(ensemble, RankingFeatures.Names, a, b, 0, data.ValidationFrom,
                description: $"{options.Objective}, {options.Trees} trees x {options.Leaves} leaves, task mix {MixName(mix)} of {data.FitTasks / 2} orders",
                candidates: fittedWith);
            var ranker = new LearnedAddOnRanker(model, recommendation, candidates);
            var scored = Scored(ranker, data);
            var hits = CascadeChooser.Hits(data, ServedLists(ranker, data, 0, scored));
            var (lastAdded, random) = CascadeChooser.HitRates(data, hits);
            var lastRatio = Ratio(lastAdded, baselines, HoldoutProtocol.LastAdded);
            var randomRatio = Ratio(random, baselines, HoldoutProtocol.RandomItem);
            var ratio = Math.Min(lastRatio, randomRatio);
            var stepError = from is null ? 0 : ChangeError(from.Hits, hits);
            tried.Add((mix, lastAdded, random, ratio, stepError));
            Report(from is null
                ? $"validation HR@3 {lastAdded:F3} (last added), {random:F3} (random): {ratio:F2} x the best baseline of the weaker protocol"
                : $"validation HR@3 {lastAdded:F3} (last added), {random:F3} (random): {ratio:F2} x the best baseline of the weaker protocol, {ratio - from.Ratio:+0.000;-0.000} against {MixName(from.Mix)}, standard error {stepError:F3}");
            return new Candidate(mix, model, transformer, scores, scored, hits, ratio, stepError, lastRatio < randomRatio);
        }

        // From the mix nearest 1:1, one step at a time towards more tasks of the weaker protocol, while a step raises
        // the weaker protocol's ratio by more than its noise (MixStep says why).
        // Lines in a fixed sort order carry no order of addition: random-item tasks only (LineOrder says why).
        var lineOrder = LineOrder.Measure(orders);
        var mixes = options.TaskMixes;
        if (lineOrder.IsSortOrder && mixes.Contains(TaskMix.RandomItem) && mixes.Count > 1)
        {
            Report(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the lines are in a fixed sort order ({lineOrder.Consistency:P1} of {lineOrder.Occurrences} neighbouring pairs listed one way), not in the order of addition: random-item tasks only"));
            mixes = [TaskMix.RandomItem];
        }
        Candidate? Walk(IEnumerable<TaskMix> walked)
        {
            var order = WalkOrder(walked);
            Candidate? found = null;
            var at = order.Count / 2;
            for (var start = at; found is null && start < order.Count; start++) { at = start; found = FitMix(order[start], null); }
            for (var start = order.Count / 2 - 1; found is null && start >= 0; start--) { at = start; found = FitMix(order[start], null); }
            if (found is null) return null;
            var step = found.LastAddedWeaker ? 1 : -1;
            for (var i = at + step; i >= 0 && i < order.Count; i += step)
            {
                if (FitMix(order[i], found) is not { } next) continue;
                if (!MixStep.Pays(found.Ratio, next.Ratio, next.StepStandardError, options.MixStepStandardErrors))
                {
                    Report($"task mix {MixName(found.Mix)} kept: the step to {MixName(next.Mix)} does not raise the weaker protocol's ratio by more than {options.MixStepStandardErrors:0.##} standard error(s)");
                    break;
                }
                found = next;
            }
            return found;
        }
        best = Walk(mixes);
        // Random-item tasks alone reached no hidden item: the mixes asked for, as without a sort order.
        if (best is null && !ReferenceEquals(mixes, options.TaskMixes)) best = Walk(options.TaskMixes);
        if (best is null) throw new InvalidOperationException("not enough orders to train a ranker: no task mix holds a hidden item among the candidates");
        // Each phase below replays the validation carts: a cancelled training (the trainer's task moved) stops between them.
        cancellationToken.ThrowIfCancellationRequested();

        var maxDifference = ExportDifference(ml, best.Transformer, data.Validation, best.ValidationScores);
        if (maxDifference > 1e-3)
            throw new InvalidOperationException($"the exported trees score differently from Microsoft.ML (max difference {maxDifference})");
        Report($"choosing the show threshold on {data.ValidationCases.Count} validation carts");
        var chosenRanker = new LearnedAddOnRanker(best.Model, recommendation, candidates);
        var curve = ShowThreshold.Curve(chosenRanker, data.ValidationCases.Select((c, i) => (c, data.ValidationSets[i], best.Scored[i])),
            data.ValidationInputs);
        var threshold = ShowThreshold.Choose(curve, options.MaxHitLoss);
        cancellationToken.ThrowIfCancellationRequested();
        var final = best.Model.WithShowThreshold(threshold);
        CascadeReport? cascade = null;
        if (options.CascadeMaxChangedLists >= 0)
        {
            Report("choosing the scoring cascade on the validation carts");
            cascade = CascadeChooser.Choose(final, data, new LearnedAddOnRanker(final, recommendation, candidates),
                best.ValidationScores, best.Scored, options.CascadeMaxChangedLists);
            final = final.WithCascade(cascade.Chosen);
            var trial = cascade.Trials.FirstOrDefault(t => t.Accepted);
            Report(trial is null
                ? $"scoring cascade: none of {cascade.Trials.Count} tried qualifies, full scoring"
                : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"scoring cascade: {cascade.Chosen} ({trial.NodeShare:P0} of the tree walks, {trial.FallbackShare:P1} of the carts scored again in full, {trial.ChangedLists:P1} of the validation lists changed, {cascade.Trials.Count} tried)"));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var finalRanker = new LearnedAddOnRanker(final, recommendation, candidates);
        // The figures the model claims are measured as it serves: through its own cascade and its fall-back.
        var finalHits = CascadeChooser.Hits(data, ServedLists(finalRanker, data, threshold, best.Scored));
        var (lastAddedFinal, randomFinal) = CascadeChooser.HitRates(data, finalHits);
        var recall = data.Validation.Groups == 0 ? 0 : (double)data.Validation.Labels.Count(l => l) / data.Validation.Groups;
        var metrics = new Dictionary<string, double>
        {
            ["validation_hr3_last_added"] = lastAddedFinal,
            ["validation_hr3_random"] = randomFinal,
            ["validation_candidate_recall"] = recall,
            ["validation_cases"] = data.ValidationCases.Count,
            ["fit_tasks"] = data.FitTasks,
            ["line_order_consistency"] = lineOrder.Consistency,
            // The rows the features were read from: a recommender whose learner learns otherwise warns (ModelTable).
            [RankingModel.HalfLifeMetric] = options.Learning.HalfLife.TotalHours,
            [RankingModel.MaxNeighborsMetric] = options.Learning.MaxNeighbors,
            [RankingModel.SequenceWindowMetric] = options.Learning.SequenceWindow,
        };
        if (cascade is not null)
        {
            metrics["validation_hr3_last_added_full_scoring"] = cascade.FullHitRateAt3LastAdded;
            metrics["validation_hr3_random_full_scoring"] = cascade.FullHitRateAt3Random;
            if (cascade.Trials.FirstOrDefault(t => t.Accepted) is { } chosenTrial)
                metrics["validation_cascade_changed_lists"] = chosenTrial.ChangedLists;
        }
        foreach (var (protocol, byStrategy) in baselines)
            foreach (var (strategy, rate) in byStrategy)
                metrics[$"validation_hr3_{(protocol == HoldoutProtocol.LastAdded ? "last_added" : "random")}_{strategy.Replace('-', '_')}"] = rate;
        final = final.WithMetrics(metrics);
        cancellationToken.ThrowIfCancellationRequested();
        var promotion = Promote(data, baselines, catalog, recommendation, options, fittedWith, lastAddedFinal, randomFinal, servingHits => ChangeError(servingHits, finalHits));
        var report = new TrainingReport(orders.Count, data.FitTasks, data.FitTasksReachable, data.Fit.Count, data.ValidationCases.Count,
            data.Validation.Count, data.ValidationFrom, curve, threshold, lastAddedFinal, randomFinal, recall, maxDifference, watch.Elapsed)
        {
            ValidationBaselines = baselines,
            TaskMixes = tried,
            LineOrder = lineOrder,
            Cascade = cascade,
            ValidationRecall = new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem }
                .Select(p => OfflineEvaluation.Recall(p, data.ValidationCases.Select((c, i) => (c, i)).Where(t => t.c.Protocol == p)
                    .Select(t => (data.ValidationSets[t.i], t.c.Hidden)).ToList()))
                .ToArray(),
            Promotion = promotion,
        };
        Report($"promotion over {options.InService?.Version ?? "the heuristic"}: {(promotion.Promote ? "yes" : "no")} ({promotion.Reason})");
        Report($"trained {final.Version}: validation HR@3 {lastAddedFinal:F3} (last added), {randomFinal:F3} (random), show threshold {threshold:0.###}");
        return (final, report);
    }

    /// <summary>Scores what serves now (the model in service, or the heuristic without one) on the new validation carts and compares it with the new model.</summary>
    private static ModelPromotion Promote(RankingTrainingData data, IReadOnlyDictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>> baselines,
        ICatalog? catalog, RecommendationOptions recommendation, RankerTrainerOptions options, CandidateOptions fittedWith, double lastAdded, double random,
        Func<bool[], double> errorAgainst)
    {
        // errorAgainst: the standard error of the new model's measure less that of what serves, given what serves hits
        // (both rank the same validation carts, so the difference is paired by order).
        var candidate = Math.Min(Ratio(lastAdded, baselines, HoldoutProtocol.LastAdded), Ratio(random, baselines, HoldoutProtocol.RandomItem));
        if (options.InService is not { } current)
        {
            var heuristicHits = HeuristicHits(data, catalog, recommendation);
            var (heuristicLast, heuristicRandom) = CascadeChooser.HitRates(data, heuristicHits);
            var heuristic = Math.Min(Ratio(heuristicLast, baselines, HoldoutProtocol.LastAdded), Ratio(heuristicRandom, baselines, HoldoutProtocol.RandomItem));
            var error = errorAgainst(heuristicHits);
            return new ModelPromotion(candidate >= heuristic, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"validation HR@3 {lastAdded:0.000} / {random:0.000} against the heuristic's {heuristicLast:0.000} / {heuristicRandom:0.000} (no model in service); {candidate:0.00} against {heuristic:0.00} x the best baseline of the weaker protocol, standard error of the difference {error:0.000}"),
                candidate, heuristic) { AgainstHeuristic = true, StandardError = error };
        }
        if (!current.MatchesFeatures)
            return new ModelPromotion(true, $"{current.Version} reads other features than this engine writes", candidate, 0);
        // The model in service is judged as it serves: with the candidate settings it records (a recommender's defaults
        // when it records none, the similar baskets read as the validation index reads them). Where those are the new
        // model's, the validation carts' candidates and feature rows serve both; otherwise it generates its own.
        var servedWith = (current.Candidates ?? CandidateOptions.For(recommendation)).ReadingSimilarBasketsAs(options.Tasks.SimilarBaskets);
        var currentHits = CascadeChooser.Hits(data, servedWith == fittedWith
            ? ServedLists(new LearnedAddOnRanker(current, recommendation, fittedWith), data, current.ShowThreshold)
            : OwnLists(new LearnedAddOnRanker(current, recommendation, servedWith), data, current.ShowThreshold));
        var (currentLast, currentRandom) = CascadeChooser.HitRates(data, currentHits);
        var inService = Math.Min(Ratio(currentLast, baselines, HoldoutProtocol.LastAdded), Ratio(currentRandom, baselines, HoldoutProtocol.RandomItem));
        var promote = candidate >= inService;
        var standardError = errorAgainst(currentHits);
        return new ModelPromotion(promote, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"validation HR@3 {lastAdded:0.000} / {random:0.000} against {currentLast:0.000} / {currentRandom:0.000} in service; {candidate:0.00} against {inService:0.00} x the best baseline of the weaker protocol, standard error of the difference {standardError:0.000}"),
            candidate, inService) { StandardError = standardError };
    }

    /// <summary>A task mix's model and what it did on validation: its served lists' hits per validation cart, its ratio.</summary>
    private sealed record Candidate(TaskMix Mix, RankingModel Model, ITransformer Transformer, double[] ValidationScores,
        IReadOnlyList<IReadOnlyList<ScoredCandidate>> Scored, bool[] Hits, double Ratio, double StepStandardError, bool LastAddedWeaker);

    public static string MixName(TaskMix mix) => mix switch
    {
        TaskMix.RandomItem => "random-item",
        TaskMix.MostlyRandom => "mostly-random",
        TaskMix.MostlyLastAdded => "mostly-last-added",
        TaskMix.LastAdded => "last-added",
        _ => "both",
    };

    /// <summary>The share of last-added tasks in a mix.</summary>
    public static double LastAddedShare(TaskMix mix) => mix switch
    {
        TaskMix.RandomItem => 0,
        TaskMix.MostlyRandom => 1.0 / 3,
        TaskMix.MostlyLastAdded => 2.0 / 3,
        TaskMix.LastAdded => 1,
        _ => 0.5,
    };

    /// <summary>Distinct mixes by their share of last-added tasks, fewest first: the line the trainer walks.</summary>
    public static IReadOnlyList<TaskMix> WalkOrder(IEnumerable<TaskMix> mixes) => mixes.Distinct().OrderBy(LastAddedShare).ToList();

    /// <summary>The fit rows of one task mix: a mix of two thirds keeps every second task of the other protocol.</summary>
    public static List<int> MixRows(ExampleSet fit, TaskMix mix)
    {
        var rows = new List<int>();
        var share = LastAddedShare(mix);
        var minority = 0;
        for (var g = 0; g < fit.Groups; g++)
        {
            var last = fit.GroupProtocol[g] == HoldoutProtocol.LastAdded;
            if ((share == 1 && !last) || (share == 0 && last)) continue;
            if ((share is > 0.5 and < 1 && !last) || (share is > 0 and < 0.5 && last))
                if (minority++ % 2 == 1) continue;
            var start = fit.GroupStart[g];
            var end = g + 1 < fit.Groups ? fit.GroupStart[g + 1] : fit.Count;
            for (var r = start; r < end; r++) rows.Add(r);
        }
        return rows;
    }

    private static IReadOnlyList<IReadOnlyList<ScoredCandidate>> Scored(LearnedAddOnRanker ranker, RankingTrainingData data)
    {
        var result = new IReadOnlyList<ScoredCandidate>[data.ValidationCases.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var set = data.ValidationSets[i];
            result[i] = ranker.Score(set, data.Validation.Rows(data.Validation.GroupStart[i], set.Candidates.Count));
        }
        return result;
    }

    /// <summary>
    /// The list the ranker shows for each validation cart as it serves: its cascade and fall-back included. A model that
    /// scores fully never falls back, so its lists come from <paramref name="fullyScored"/> when given (the carts scored
    /// already) instead of scoring every cart again.
    /// </summary>
    private static string[][] ServedLists(LearnedAddOnRanker ranker, RankingTrainingData data, double threshold,
        IReadOnlyList<IReadOnlyList<ScoredCandidate>>? fullyScored = null)
    {
        var shown = new string[data.ValidationCases.Count][];
        for (var i = 0; i < shown.Length; i++)
        {
            var set = data.ValidationSets[i];
            shown[i] = fullyScored is not null && ranker.Model.Cascade.IsFull
                ? CascadeChooser.Shown(ranker, data, i, fullyScored[i], threshold)
                : [.. ranker.Rank(data.ValidationCases[i].Basket, data.ValidationInputs, set,
                    data.Validation.Rows(data.Validation.GroupStart[i], set.Candidates.Count), threshold).AddOns.Select(a => a.Sku)];
        }
        return shown;
    }

    /// <summary>The list a ranker shows for each validation cart from candidates and features it generates itself (its own settings).</summary>
    private static string[][] OwnLists(LearnedAddOnRanker ranker, RankingTrainingData data, double threshold) =>
        ListsOf(data, c => ranker.Rank(c.Basket, data.ValidationInputs, c.At, threshold));

    /// <summary>The skus <paramref name="rank"/> shows for each validation cart, ranked from the cart alone.</summary>
    private static string[][] ListsOf(RankingTrainingData data, Func<RankingCase, AddOnList> rank)
    {
        var shown = new string[data.ValidationCases.Count][];
        for (var i = 0; i < shown.Length; i++) shown[i] = [.. rank(data.ValidationCases[i]).AddOns.Select(a => a.Sku)];
        return shown;
    }

    /// <summary>The heuristic's hits as it serves (every cart rule, the same options) on the validation carts.</summary>
    private static bool[] HeuristicHits(RankingTrainingData data, ICatalog? catalog, RecommendationOptions recommendation)
    {
        var inputs = data.ValidationInputs;
        var engineCatalog = catalog ?? new InMemoryCatalog([]);
        var heuristic = new AddOnRanker(recommendation, inputs.Clock);
        return CascadeChooser.Hits(data, ListsOf(data, c => heuristic.Rank(c.Basket, engineCatalog, inputs.Evidence, c.At)));
    }

    private static double Ratio(double learned, IReadOnlyDictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>> baselines, HoldoutProtocol protocol)
    {
        var best = BestBaseline(baselines, protocol);
        return best > 0 ? learned / best : learned > 0 ? double.MaxValue : 1;
    }

    private static double BestBaseline(IReadOnlyDictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>> baselines, HoldoutProtocol protocol) =>
        baselines.TryGetValue(protocol, out var b) && b.Count > 0 ? b.Values.Max() : 0;

    /// <summary>HR@3 of popularity, last item, basket counts and basket cosine on the validation carts (no cart rules).</summary>
    private static IReadOnlyDictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>> Baselines(
        RankingTrainingData data, ICatalog? catalog, RankerTrainerOptions options)
    {
        var inputs = data.ValidationInputs;
        var engineCatalog = catalog ?? new InMemoryCatalog([]);
        var plain = options.Recommendation with { AllowUnknownItems = true, MaxAddOns = OfflineEvaluation.ListSize };
        var rankers = Strategies.Baselines.ToDictionary(b => b, b => new AddOnRanker(Engine.Evaluation.Baselines.Options(b, plain), inputs.Clock));
        var result = new Dictionary<HoldoutProtocol, IReadOnlyDictionary<string, double>>();
        foreach (var protocol in new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem })
        {
            var cases = data.ValidationCases.Where(c => c.Protocol == protocol).ToList();
            if (cases.Count == 0) continue;
            result[protocol] = rankers.ToDictionary(r => r.Key, r => (double)cases.Count(c =>
                Engine.Evaluation.Baselines.Rank(r.Key, r.Value, c.Basket, engineCatalog, inputs.Evidence, inputs.BestSellers, c.At).Contains(c.Hidden)) / cases.Count);
        }
        return result;
    }

    private static (TreeEnsemble Ensemble, ITransformer Transformer) Fit(MLContext ml, IDataView data, RankerTrainerOptions o)
    {
        if (o.Objective == RankingObjective.Binary)
        {
            var trainer = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                NumberOfIterations = o.Trees, NumberOfLeaves = o.Leaves, LearningRate = o.LearningRate,
                MinimumExampleCountPerLeaf = o.MinExamplesPerLeaf, NumberOfThreads = o.Threads, Seed = o.Seed,
                Booster = Booster(o),
                Silent = true, LabelColumnName = nameof(ExampleRow.Label), FeatureColumnName = nameof(ExampleRow.Features),
            });
            var model = trainer.Fit(data);
            return (Export(model.Model.SubModel.TrainedTreeEnsemble), model);
        }
        var ranking = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            NumberOfIterations = o.Trees, NumberOfLeaves = o.Leaves, LearningRate = o.LearningRate,
            MinimumExampleCountPerLeaf = o.MinExamplesPerLeaf, NumberOfThreads = o.Threads, Seed = o.Seed,
            Booster = Booster(o),
            Silent = true, LabelColumnName = nameof(ExampleRow.Relevance), FeatureColumnName = nameof(ExampleRow.Features),
            RowGroupColumnName = nameof(ExampleRow.GroupId),
        });
        var ranked = ranking.Fit(data);
        return (Export(ranked.Model.TrainedTreeEnsemble), ranked);
    }

    /// <summary>LightGBM's booster settings of a training: bagging runs on every tree when it takes less than every row.</summary>
    internal static GradientBooster.Options Booster(RankerTrainerOptions o) => new()
    {
        FeatureFraction = o.FeatureFraction,
        SubsampleFraction = o.BaggingFraction,
        SubsampleFrequency = o.BaggingFraction < 1 ? 1 : 0,
    };

    private static TreeEnsemble Export(RegressionTreeEnsemble ensemble)
    {
        var trees = new List<TreeEnsemble.Tree>(ensemble.Trees.Count);
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            if (tree.CategoricalSplitFlags.Any(f => f)) throw new InvalidOperationException("categorical splits are not exported");
            trees.Add(new TreeEnsemble.Tree(tree.NumericalSplitFeatureIndexes.ToArray(), tree.NumericalSplitThresholds.ToArray(),
                tree.LeftChild.ToArray(), tree.RightChild.ToArray(), tree.LeafValues.ToArray(), ensemble.TreeWeights[t]));
        }
        return new TreeEnsemble(trees, ensemble.Bias, RankingFeatures.Count);
    }

    /// <summary>The largest difference between Microsoft.ML's raw score and the exported trees' over the validation rows.</summary>
    private static double ExportDifference(MLContext ml, ITransformer transformer, ExampleSet rows, double[] exported)
    {
        if (rows.Count == 0) return 0;
        var sample = Math.Min(rows.Count, 5000);
        var view = ml.Data.LoadFromEnumerable(Rows(rows).Take(sample), ExampleRow.Schema);
        var scored = transformer.Transform(view).GetColumn<float>("Score").ToArray();
        var max = 0.0;
        for (var i = 0; i < scored.Length; i++) max = Math.Max(max, Math.Abs(scored[i] - exported[i]) / Math.Max(1, Math.Abs(exported[i])));
        return max;
    }

    private static IEnumerable<ExampleRow> Rows(ExampleSet set) => Rows(set, Enumerable.Range(0, set.Count));

    private static IEnumerable<ExampleRow> Rows(ExampleSet set, IEnumerable<int> rows)
    {
        foreach (var i in rows)
            yield return new ExampleRow
            {
                Features = set.Row(i).ToArray(), Label = set.Labels[i], Relevance = set.Labels[i] ? 1 : 0, GroupId = (uint)set.Group[i] + 1,
            };
    }

    private sealed class ExampleRow
    {
        /// <summary>The rows' schema: the feature vector as long as the engine writes it.</summary>
        public static readonly SchemaDefinition Schema = CreateSchema();

        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Relevance { get; set; }
        [KeyType(int.MaxValue)] public uint GroupId { get; set; }

        private static SchemaDefinition CreateSchema()
        {
            var schema = SchemaDefinition.Create(typeof(ExampleRow));
            schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, RankingFeatures.Count);
            return schema;
        }
    }
}
