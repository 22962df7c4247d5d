using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.OrderHistory;

namespace CartCrossSell.Ranking.Training.Tests;

/// <summary>The December 2010 extract, read once for every test of the class.</summary>
public sealed class December2010
{
    public December2010()
    {
        Orders = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders
            .Select(o => new EvalOrder(o.OrderId, o.Timestamp, o.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList()))
            .ToList();
        (Model, Report) = RankerTrainer.Train(Orders, null, new RankerTrainerOptions { Trees = 60 });
    }

    public IReadOnlyList<EvalOrder> Orders { get; }
    public RankingModel Model { get; }
    public TrainingReport Report { get; }
}

public class RankerTrainingTests(December2010 data) : IClassFixture<December2010>
{
    private static readonly DateTimeOffset T0 = new(2011, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_task_never_reads_counts_of_its_own_order()
    {
        // Every order holds a pair that no other order holds: if a task's features came from counts that include its
        // own order, its hidden item would be a candidate (bought with the cart item, or held by a similar basket: the
        // order itself); from earlier orders it is not.
        var orders = Enumerable.Range(0, 400)
            .Select(i => new EvalOrder($"o{i:D4}", T0.AddMinutes(i), [new EvalLine($"a{i}"), new EvalLine($"b{i}")]))
            .ToList();
        var data = RankingTrainingData.Build(orders, null, new LearningOptions(), new CandidateGenerator(new CandidateOptions { PopularDepth = 0 }),
            new RankingTrainingOptions { WarmupFraction = 0.1 });
        Assert.True(data.FitTasks > 200);
        Assert.Equal(0, data.FitTasksReachable);
        // Validation reads the baskets of the orders before its slice (the newest 15 %, 60 orders), none of its own.
        Assert.Equal(340, data.ValidationInputs.SimilarBaskets!.Count);
    }

    [Fact]
    public void Validation_judges_every_basket_of_a_slice_of_more_than_a_thousand()
    {
        // 1,200 validation baskets of three items: all of them, under both protocols (the old budget took 1,000).
        var orders = Enumerable.Range(0, 1600)
            .Select(i => new EvalOrder($"o{i:D4}", T0.AddMinutes(i), [new EvalLine("x"), new EvalLine($"y{i % 7}"), new EvalLine($"z{i % 5}")]))
            .ToList();
        var data = RankingTrainingData.Build(orders, null, new LearningOptions(), new CandidateGenerator(),
            new RankingTrainingOptions { ValidationFraction = 0.75, MaxFitTasks = 50 });
        Assert.Equal(2 * 1200, data.ValidationCases.Count);
        Assert.Equal(1200, data.ValidationCases.Select(c => c.OrderId).Distinct().Count());
    }

    [Fact]
    public void Fit_tasks_read_at_most_the_snapshots_allowed_however_many_orders()
    {
        // 4,000 orders: the fit range is 2,720 of them (after the validation slice and the warm-up), every one a task; a
        // snapshot every 10 orders would be 272.
        var orders = Enumerable.Range(0, 4000)
            .Select(i => new EvalOrder($"o{i:D4}", T0.AddMinutes(i), [new EvalLine("x"), new EvalLine($"y{i % 7}"), new EvalLine($"z{i % 5}")]))
            .ToList();
        RankingTrainingData Build(int maxSnapshots) => RankingTrainingData.Build(orders, null, new LearningOptions(), new CandidateGenerator(),
            new RankingTrainingOptions { SnapshotEvery = 10, MaxSnapshots = maxSnapshots, MaxFitTasks = 4000, MaxValidationBaskets = 10 });
        Assert.Equal(272, Build(1000).FitSnapshots);
        var bounded = Build(40);
        Assert.InRange(bounded.FitSnapshots, 39, 40);
        Assert.Equal(2 * 2720, bounded.FitTasks);
    }

    [Fact]
    public void Validation_reads_only_orders_before_the_validation_slice()
    {
        var orders = Enumerable.Range(0, 200)
            .Select(i => new EvalOrder($"o{i:D4}", T0.AddHours(i), [new EvalLine("x"), new EvalLine($"y{i % 7}"), new EvalLine($"z{i % 5}")]))
            .ToList();
        var options = new RankingTrainingOptions { ValidationFraction = 0.25 };
        var data = RankingTrainingData.Build(orders, null, new LearningOptions(), new CandidateGenerator(), options);
        var before = new BasketLearner();
        foreach (var o in orders.Take(150)) before.AddOrder(o.Lines.Select(l => l.Sku).ToList(), o.Timestamp);
        Assert.Equal(before.Baskets, data.ValidationInputs.Evidence.Baskets, 9);
        Assert.Equal(orders[150].Timestamp, data.ValidationFrom);
        Assert.All(data.ValidationCases, c => Assert.True(c.At >= data.ValidationFrom));
    }

    [Fact]
    public void A_model_trained_for_the_offline_evaluation_never_sees_its_test_orders()
    {
        var (train, test) = OfflineEvaluation.Split(data.Orders, 0.2);
        var (_, report) = RankerTrainer.Train(train.ToList(), null, new RankerTrainerOptions { Trees = 5 });
        Assert.Equal(train.Count, report.Orders);
        Assert.True(report.ValidationFrom < test[0].Timestamp);
    }

    [Fact]
    public void The_exported_trees_score_as_Microsoft_ML_and_the_model_survives_its_bytes()
    {
        Assert.InRange(data.Report.MaxExportDifference, 0, 1e-5);
        var bytes = data.Model.ToBytes();
        Assert.True(bytes.Length < 1_000_000, $"a model must fit one default Kafka message; it is {bytes.Length} bytes");
        var loaded = RankingModel.FromBytes(bytes);
        Assert.Equal(data.Model.Version, loaded.Version);

        var (train, test) = OfflineEvaluation.Split(data.Orders, 0.2);
        var learner = new BasketLearner();
        foreach (var o in train) learner.AddOrder(OfflineEvaluation.DistinctSkus(o), o.Timestamp);
        var inputs = new RankingInputs(learner.Compact(), null, learner.Clock, RankingInputs.BestSellersOf(learner.Items()));
        var options = new RecommendationOptions { AllowUnknownItems = true };
        var original = new LearnedAddOnRanker(data.Model, options);
        var reloaded = new LearnedAddOnRanker(loaded, options);
        var compared = 0;
        foreach (var order in test.Where(o => OfflineEvaluation.DistinctSkus(o).Count >= 3).Take(60))
        {
            var basket = RankingTrainingData.BasketWithout(order, OfflineEvaluation.Hidden(order, HoldoutProtocol.RandomItem, 1));
            var a = original.Rank(basket, inputs, order.Timestamp);
            var b = reloaded.Rank(basket, inputs, order.Timestamp);
            Assert.Equal(a.AddOns.Select(x => (x.Sku, x.Score)), b.AddOns.Select(x => (x.Sku, x.Score)));
            Assert.Equal(loaded.Version, b.ModelVersion);
            compared += a.AddOns.Count;
        }
        Assert.True(compared > 50);
    }

    /// <summary>Reports on the training's own thread (Progress posts to the thread pool, too late to cancel at a phase).</summary>
    private sealed class OnReport(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void A_training_cancelled_after_its_trees_are_fitted_stops_before_its_next_phase()
    {
        // Cancelled once the show threshold is being chosen: the walk over task mixes is over, the slow phases that
        // replay the validation carts (threshold, cascade, promotion) are not; a trainer whose task moved stops there.
        using var cancel = new CancellationTokenSource();
        var phases = new List<string>();
        var progress = new OnReport(message =>
        {
            phases.Add(message);
            if (message.Contains("choosing the show threshold")) cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            RankerTrainer.Train(data.Orders, null, new RankerTrainerOptions { Trees = 5, TaskMixes = [TaskMix.Both] }, progress, cancel.Token));
        Assert.DoesNotContain(phases, p => p.Contains("scoring cascade"));
    }

    [Fact]
    public void Scoring_many_rows_side_by_side_gives_exactly_the_one_by_one_scores()
    {
        var rng = new Random(5);
        var f = RankingFeatures.Count;
        foreach (var count in new[] { 0, 1, 3, 4, 7, 130 })
        {
            var rows = new float[count * f];
            for (var i = 0; i < rows.Length; i++) rows[i] = rng.Next(4) == 0 ? 0 : (float)(rng.NextDouble() * 3 - 1);
            var many = new double[count];
            data.Model.Ensemble.ScoreMany(rows, many);
            for (var r = 0; r < count; r++) Assert.Equal(data.Model.Score(rows.AsSpan(r * f, f)), many[r]);
        }
    }

    [Fact]
    public void The_chosen_cascade_reproduces_the_validation_HR3_it_claims_and_full_scoring_the_figures_it_was_held_to()
    {
        var cascade = data.Report.Cascade!;
        var model = RankingModel.FromBytes(data.Model.ToBytes());
        Assert.Equal(cascade.Chosen, model.Cascade);
        Assert.False(model.Cascade.IsFull, "the December extract's validation slice allows a cascade");
        var chosen = cascade.Trials.Single(t => t.Accepted);
        Assert.Equal(chosen.Cascade, model.Cascade);
        Assert.True(chosen.ChangedLists <= new RankerTrainerOptions().CascadeMaxChangedLists);
        // Every other pair tried failed the conditions or costs at least as much as served; without a catalog nothing
        // is scored again, so each pair costs what was planned.
        Assert.True(chosen.Qualified);
        Assert.All(cascade.Trials.Where(t => !t.Accepted), t => Assert.True(!t.Qualified || t.NodeShare >= chosen.NodeShare));
        Assert.All(cascade.Trials, t => Assert.Equal(0, t.FallbackShare));

        // The same validation carts again (the draw is seeded), scored by the loaded model through its cascade and
        // by the same trees with full scoring.
        var options = new RankerTrainerOptions { Trees = 60 };
        var split = RankingTrainingData.Build(data.Orders, null, options.Learning, new CandidateGenerator(options.CandidatesInUse), options.Tasks);
        var serving = options.Recommendation with { AllowUnknownItems = true };
        double HitRate(RankingModel m, HoldoutProtocol protocol)
        {
            var ranker = new LearnedAddOnRanker(m, serving, options.CandidatesInUse);
            var cases = split.ValidationCases.Select((c, i) => (c, split.ValidationSets[i],
                    ranker.Score(split.ValidationSets[i], split.Validation.Rows(split.Validation.GroupStart[i], split.ValidationSets[i].Candidates.Count))))
                .Where(t => t.c.Protocol == protocol);
            return ShowThreshold.Curve(ranker, cases, split.ValidationInputs, [m.ShowThreshold])[0].HitRateAt3;
        }
        Assert.Equal(model.Metrics["validation_hr3_last_added"], HitRate(model, HoldoutProtocol.LastAdded));
        Assert.Equal(model.Metrics["validation_hr3_random"], HitRate(model, HoldoutProtocol.RandomItem));
        Assert.Equal(chosen.HitRateAt3LastAdded, model.Metrics["validation_hr3_last_added"]);
        Assert.Equal(chosen.HitRateAt3Random, model.Metrics["validation_hr3_random"]);
        var full = model.WithCascade(ScoringCascade.Full);
        Assert.Equal(model.Metrics["validation_hr3_last_added_full_scoring"], HitRate(full, HoldoutProtocol.LastAdded));
        Assert.Equal(model.Metrics["validation_hr3_random_full_scoring"], HitRate(full, HoldoutProtocol.RandomItem));
        Assert.True(model.Metrics["validation_hr3_last_added"] >= model.Metrics["validation_hr3_last_added_full_scoring"]);
        Assert.True(model.Metrics["validation_hr3_random"] >= model.Metrics["validation_hr3_random_full_scoring"]);
    }

    [Fact]
    public void With_rules_that_refuse_many_candidates_the_validation_figures_are_those_served_fall_backs_included()
    {
        // A catalog in which every third item is out of stock: kept candidates often pass the rules fewer than the
        // ranker's depth, and the ranker then scores the cart again in full. The chooser counts those carts, and the
        // figures the model claims are what it serves.
        var catalog = new InMemoryCatalog(data.Orders.SelectMany(o => o.Lines).Select(l => l.Sku).Distinct().Select(sku => new CatalogItem
        {
            Sku = sku, Title = sku, CategoryPath = ["shop", sku[..Math.Min(2, sku.Length)]], Price = 1m,
            InStock = OfflineEvaluation.StableHash(sku, 3) % 3 != 0,
        }));
        var options = new RankerTrainerOptions { Trees = 60, TaskMixes = [TaskMix.Both] };
        var (model, report) = RankerTrainer.Train(data.Orders, catalog, options);
        var split = RankingTrainingData.Build(data.Orders, catalog, options.Learning, new CandidateGenerator(options.CandidatesInUse), options.Tasks);
        // A pair's share of the tree walks is as served: its planned walks, and every tree on every candidate again for
        // the carts that fell back.
        var trees = model.Ensemble.TreeCount;
        var full = split.ValidationSets.Sum(set => (double)set.Candidates.Count * trees);
        double Planned(ScoringCascade c) => split.ValidationSets.Sum(set => set.Candidates.Count is var n && c.Keep >= n
            ? (double)n * trees : (double)n * c.FirstTrees + (double)c.Keep * (trees - c.FirstTrees)) / full;
        var fellBack = report.Cascade!.Trials.Where(t => t.FallbackShare > 0).ToList();
        Assert.NotEmpty(fellBack);
        Assert.All(fellBack, t => Assert.True(t.NodeShare > Planned(t.Cascade) + 1e-9, $"{t.Cascade}: {t.NodeShare} counts no carts scored again"));
        Assert.All(report.Cascade.Trials.Where(t => t.FallbackShare == 0), t => Assert.Equal(Planned(t.Cascade), t.NodeShare, 9));
        if (report.Cascade.Trials.SingleOrDefault(t => t.Accepted) is { } chosen)
        {
            Assert.Equal(chosen.HitRateAt3LastAdded, model.Metrics["validation_hr3_last_added"]);
            Assert.Equal(chosen.HitRateAt3Random, model.Metrics["validation_hr3_random"]);
        }

        var ranker = new LearnedAddOnRanker(model, options.Recommendation, options.CandidatesInUse);
        var hits = new Dictionary<HoldoutProtocol, (int Hits, int Carts)>();
        for (var i = 0; i < split.ValidationCases.Count; i++)
        {
            var c = split.ValidationCases[i];
            var set = split.ValidationSets[i];
            var shown = ranker.Rank(c.Basket, split.ValidationInputs, set, split.Validation.Rows(split.Validation.GroupStart[i], set.Candidates.Count), model.ShowThreshold);
            var (h, n) = hits.GetValueOrDefault(c.Protocol);
            hits[c.Protocol] = (h + (shown.AddOns.Any(a => a.Sku == c.Hidden) ? 1 : 0), n + 1);
        }
        Assert.Equal(model.Metrics["validation_hr3_last_added"], (double)hits[HoldoutProtocol.LastAdded].Hits / hits[HoldoutProtocol.LastAdded].Carts);
        Assert.Equal(model.Metrics["validation_hr3_random"], (double)hits[HoldoutProtocol.RandomItem].Hits / hits[HoldoutProtocol.RandomItem].Carts);
    }

    [Fact]
    public void Without_a_cascade_the_trainer_keeps_full_scoring()
    {
        var (model, report) = RankerTrainer.Train(data.Orders, null, new RankerTrainerOptions { Trees = 5, CascadeMaxChangedLists = -1 });
        Assert.True(model.Cascade.IsFull);
        Assert.Null(report.Cascade);
        // Format 3 (it records its candidate settings), with the full cascade's (0, 0).
        var back = RankingModel.FromBytes(model.ToBytes());
        Assert.Equal(3, BitConverter.ToInt32(model.ToBytes(), 4));
        Assert.True(back.Cascade.IsFull);
    }

    [Fact]
    public void The_show_threshold_keeps_the_promised_share_of_validation_hits()
    {
        var curve = data.Report.ThresholdCurve;
        var full = curve.Max(p => p.HitRateAt3);
        var chosen = curve.Single(p => p.Threshold == data.Report.ShowThreshold);
        Assert.True(chosen.HitRateAt3 >= 0.97 * full);
        Assert.True(curve.Where(p => p.Threshold > chosen.Threshold).All(p => p.HitRateAt3 < 0.97 * full));
        Assert.Equal(data.Report.ShowThreshold, data.Model.ShowThreshold);
    }

    [Fact]
    public void Promotion_refuses_a_model_that_is_worse_than_the_one_in_service()
    {
        // A two-leaf, one-tree model (one split on one feature) against the fixture's sixty trees, on the same carts.
        var (worse, report) = RankerTrainer.Train(data.Orders, null,
            new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = [TaskMix.RandomItem], InService = data.Model });
        Assert.False(report.Promotion.Promote, report.Promotion.Reason);
        Assert.True(report.Promotion.Candidate < report.Promotion.InService);
        Assert.Contains("in service", report.Promotion.Reason);
        Assert.NotEqual(data.Model.Version, worse.Version);
    }

    [Fact]
    public void The_model_in_service_is_judged_with_the_candidate_settings_it_records()
    {
        // The same trees in service twice: as trained, and recording a popular-items-only candidate set (three best
        // sellers). Served with its settings the second ranks the validation carts far worse; judged with the new
        // model's candidates and features (as before models recorded settings) the two would read the same.
        var options = new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = [TaskMix.RandomItem], CascadeMaxChangedLists = -1 };
        var (_, asTrained) = RankerTrainer.Train(data.Orders, null, options with { InService = data.Model });
        var popularOnly = data.Model.Candidates! with
        {
            BasketDepth = 0, LastItemsDepth = 0, SequenceDepth = 0, CategoryDepth = 0, SimilarBasketsDepth = 0, PopularDepth = 3,
        };
        var (_, crippled) = RankerTrainer.Train(data.Orders, null, options with { InService = data.Model.WithCandidates(popularOnly) });
        Assert.Equal(asTrained.Promotion.Candidate, crippled.Promotion.Candidate);
        Assert.True(crippled.Promotion.InService < 0.5 * asTrained.Promotion.InService,
            $"{crippled.Promotion.Reason} against {asTrained.Promotion.Reason}");
    }

    [Fact]
    public void Promotion_accepts_a_model_that_is_not_worse()
    {
        // A model that scores every candidate alike ranks by sku: any trained model beats it.
        var flat = new RankingModel(new TreeEnsemble([], 0, RankingFeatures.Count), RankingFeatures.Names, -1, 0, 0, data.Model.TrainedAt);
        var (_, report) = RankerTrainer.Train(data.Orders, null, new RankerTrainerOptions { Trees = 60, InService = flat });
        Assert.True(report.Promotion.Promote, report.Promotion.Reason);
        Assert.True(report.Promotion.Candidate > report.Promotion.InService);
        // By far more than the noise of the slice (the paired bootstrap's standard error, reported with the decision).
        Assert.True(report.Promotion.Candidate - report.Promotion.InService > 3 * report.Promotion.StandardError!.Value, report.Promotion.Reason);
        Assert.Contains("standard error of the difference", report.Promotion.Reason);
        Assert.False(report.Promotion.AgainstHeuristic);
        // Without a model in service the fixture's model was judged against the heuristic, which is what serves then.
        Assert.True(data.Report.Promotion.AgainstHeuristic);
        Assert.Contains("against the heuristic's", data.Report.Promotion.Reason);
    }

    [Fact]
    public void A_model_judged_against_itself_ties_with_no_noise_in_the_difference()
    {
        // Training is deterministic: the same orders and options give the same trees, so the model in service and the
        // new one rank every validation cart alike, and the paired difference has nothing to vary.
        var options = new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = [TaskMix.RandomItem], CascadeMaxChangedLists = -1 };
        var (first, firstReport) = RankerTrainer.Train(data.Orders, null, options);
        var (again, report) = RankerTrainer.Train(data.Orders, null, options with { InService = first });
        Assert.Equal(first.Version, again.Version);
        Assert.Equal(report.Promotion.InService, report.Promotion.Candidate);
        Assert.True(report.Promotion.Promote, report.Promotion.Reason); // not worse
        Assert.Equal(0, report.Promotion.StandardError);
        // Against the heuristic (no model in service) the two rank differently, and the difference has its noise.
        Assert.True(firstReport.Promotion.AgainstHeuristic);
        Assert.True(firstReport.Promotion.StandardError > 0, firstReport.Promotion.Reason);
    }

    [Fact]
    public void Without_a_model_in_service_a_first_model_worse_than_the_heuristic_is_not_promoted()
    {
        // One split on one feature ranks most candidates by sku: the heuristic, with every cart rule, ranks these
        // validation carts better, and the recommender would be worse off with the model than without it.
        var (_, report) = RankerTrainer.Train(data.Orders, null, new RankerTrainerOptions { Trees = 1, Leaves = 2, TaskMixes = [TaskMix.RandomItem] });
        Assert.True(report.Promotion.AgainstHeuristic);
        Assert.False(report.Promotion.Promote, report.Promotion.Reason);
        Assert.True(report.Promotion.Candidate < report.Promotion.InService, report.Promotion.Reason);
        Assert.Contains("no model in service", report.Promotion.Reason);
    }

    [Fact]
    public void The_mix_walk_starts_at_one_to_one_and_steps_towards_the_weaker_protocol_while_validation_improves_beyond_its_noise()
    {
        var tried = data.Report.TaskMixes;
        Assert.Equal(TaskMix.Both, tried[0].Mix);
        Assert.True(tried.Count >= 2, "from 1:1 the walk always tries one step");
        double Best(HoldoutProtocol p) => data.Report.ValidationBaselines[p].Values.Max();
        var lastAddedWeaker = tried[0].LastAdded / Best(HoldoutProtocol.LastAdded) < tried[0].Random / Best(HoldoutProtocol.RandomItem);
        var shares = tried.Select(t => RankerTrainer.LastAddedShare(t.Mix)).ToList();
        for (var i = 1; i < shares.Count; i++)
            Assert.True(lastAddedWeaker ? shares[i] > shares[i - 1] : shares[i] < shares[i - 1], string.Join(", ", tried.Select(t => t.Mix)));
        // Every step but the last rose by more than one standard error of the change (the default rule); the last one
        // too when the walk reached the end of the line. The kept model is the last mix the walk stepped to.
        Assert.Equal(0, tried[0].StepStandardError);
        for (var i = 1; i < tried.Count; i++) Assert.True(tried[i].StepStandardError > 0, "a step's noise is measured");
        for (var i = 1; i < tried.Count - 1; i++) Assert.True(tried[i].Ratio - tried[i - 1].Ratio > tried[i].StepStandardError);
        var last = tried[^1];
        var lastPaid = tried.Count > 1 && last.Ratio - tried[^2].Ratio > last.StepStandardError;
        var kept = lastPaid || tried.Count == 1 ? last : tried[^2];
        Assert.Contains($"task mix {RankerTrainer.MixName(kept.Mix)} ", data.Model.Description);
    }

    [Fact]
    public void A_trained_model_records_the_candidate_settings_similar_baskets_reading_and_learning_options_it_was_fitted_with()
    {
        // So a recommender serves it with them, whatever its own defaults (RankingModelTests: the ranker takes them).
        var options = new RankerTrainerOptions();
        var expected = options.CandidatesInUse with
        {
            SimilarBasketsNeighbors = options.Tasks.SimilarBaskets.Neighbors,
            SimilarBasketsSamplePerItem = options.Tasks.SimilarBaskets.SamplePerItem,
        };
        Assert.Equal(expected, data.Model.Candidates);
        Assert.Equal(expected, RankingModel.FromBytes(data.Model.ToBytes()).Candidates);
        // And the learning options of the rows its features read (which a ranker cannot change: a recommender warns).
        Assert.Equal(options.Learning.HalfLife.TotalHours, data.Model.Metrics[RankingModel.HalfLifeMetric]);
        Assert.Equal(options.Learning.MaxNeighbors, data.Model.Metrics[RankingModel.MaxNeighborsMetric]);
        Assert.Equal(options.Learning.SequenceWindow, data.Model.Metrics[RankingModel.SequenceWindowMetric]);
        Assert.Empty(data.Model.LearningDifferences(options.Learning));
        Assert.Equal(["order-of-addition window 1 in training, 2 served"], data.Model.LearningDifferences(options.Learning with { SequenceWindow = 2 }));
    }

    [Fact]
    public void Feature_and_bagging_fractions_reach_LightGBM_and_the_exported_trees_still_score_as_it_does()
    {
        var options = new RankerTrainerOptions { Trees = 20, TaskMixes = [TaskMix.Both], CascadeMaxChangedLists = -1 };
        var (plain, _) = RankerTrainer.Train(data.Orders, null, options);
        var (features, featuresReport) = RankerTrainer.Train(data.Orders, null, options with { FeatureFraction = 0.5 });
        var (bagged, baggedReport) = RankerTrainer.Train(data.Orders, null, options with { BaggingFraction = 0.5 });
        Assert.Equal(3, new[] { plain.Version, features.Version, bagged.Version }.Distinct().Count());
        Assert.InRange(featuresReport.MaxExportDifference, 0, 1e-5);
        Assert.InRange(baggedReport.MaxExportDifference, 0, 1e-5);
        var booster = RankerTrainer.Booster(options with { FeatureFraction = 0.6, BaggingFraction = 0.8 });
        Assert.Equal((0.6, 0.8, 1), (booster.FeatureFraction, booster.SubsampleFraction, booster.SubsampleFrequency));
        Assert.Equal(0, RankerTrainer.Booster(options).SubsampleFrequency); // no bagging by default
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { FeatureFraction = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { BaggingFraction = 1.5 }).Validate());
    }

    [Fact]
    public void A_mix_fitted_alone_scores_as_the_same_mix_fitted_after_another()
    {
        var second = data.Report.TaskMixes[1];
        var (_, alone) = RankerTrainer.Train(data.Orders, null, new RankerTrainerOptions { Trees = 60, TaskMixes = [second.Mix] });
        var only = Assert.Single(alone.TaskMixes);
        Assert.Equal(second.LastAdded, only.LastAdded);
        Assert.Equal(second.Random, only.Random);
    }

    [Fact]
    public void Mixes_of_two_thirds_keep_every_task_of_one_protocol_and_every_second_of_the_other()
    {
        var orders = Enumerable.Range(0, 300)
            .Select(i => new EvalOrder($"o{i:D4}", T0.AddHours(i), [new EvalLine("x"), new EvalLine($"y{i % 7}"), new EvalLine($"z{i % 5}")]))
            .ToList();
        var fit = RankingTrainingData.Build(orders, null, new LearningOptions(), new CandidateGenerator()).Fit;
        int Groups(TaskMix mix, HoldoutProtocol protocol) =>
            RankerTrainer.MixRows(fit, mix).Select(r => fit.Group[r]).Distinct().Count(g => fit.GroupProtocol[g] == protocol);
        var last = Groups(TaskMix.Both, HoldoutProtocol.LastAdded);
        var random = Groups(TaskMix.Both, HoldoutProtocol.RandomItem);
        Assert.True(last > 100 && random > 100);
        Assert.Equal((last, 0), (Groups(TaskMix.LastAdded, HoldoutProtocol.LastAdded), Groups(TaskMix.LastAdded, HoldoutProtocol.RandomItem)));
        Assert.Equal((0, random), (Groups(TaskMix.RandomItem, HoldoutProtocol.LastAdded), Groups(TaskMix.RandomItem, HoldoutProtocol.RandomItem)));
        Assert.Equal((last, (random + 1) / 2),
            (Groups(TaskMix.MostlyLastAdded, HoldoutProtocol.LastAdded), Groups(TaskMix.MostlyLastAdded, HoldoutProtocol.RandomItem)));
        Assert.Equal(((last + 1) / 2, random),
            (Groups(TaskMix.MostlyRandom, HoldoutProtocol.LastAdded), Groups(TaskMix.MostlyRandom, HoldoutProtocol.RandomItem)));
        Assert.Equal([TaskMix.RandomItem, TaskMix.MostlyRandom, TaskMix.Both, TaskMix.MostlyLastAdded, TaskMix.LastAdded],
            RankerTrainer.WalkOrder([TaskMix.LastAdded, TaskMix.Both, TaskMix.MostlyRandom, TaskMix.RandomItem, TaskMix.MostlyLastAdded, TaskMix.Both]));
    }

    [Fact]
    public void Validation_recall_is_reported_per_protocol_and_bounds_every_source()
    {
        Assert.Equal([HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem], data.Report.ValidationRecall.Select(r => r.Protocol));
        Assert.All(data.Report.ValidationRecall, r =>
        {
            Assert.InRange(r.Union, 0.05, 1);
            Assert.All(r.BySource.Values, s => Assert.InRange(s, 0, r.Union));
            Assert.Equal(data.Report.ValidationCases / 2, r.Baskets);
        });
        Assert.Equal(data.Report.CandidateRecall, data.Report.ValidationRecall.Average(r => r.Union), 9);
    }

    [Fact]
    public void Too_few_orders_is_a_clear_refusal_not_a_model()
    {
        var orders = new[] { new EvalOrder("o1", T0, [new EvalLine("a"), new EvalLine("b")]) };
        var ex = Assert.Throws<InvalidOperationException>(() => RankerTrainer.Train(orders, null));
        Assert.Contains("not enough orders", ex.Message);
    }

    [Fact]
    public void The_trainer_vector_width_matches_the_engine_features()
    {
        Assert.Equal(40, RankingFeatures.Count);
        Assert.Equal(RankingFeatures.Names, data.Model.FeatureNames);
    }
}
