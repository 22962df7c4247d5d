using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.OrderHistory;
using CartCrossSell.Ranking.Training;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Catalog;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Recommending;
using CartCrossSell.Topologies.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Topologies.Tests;

public sealed class OrderSampleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static void Admit(OrderSample sample, string id, int minutes) => sample.Apply(sample.Plan(id, T0.AddMinutes(minutes)));

    [Fact]
    public void A_full_sample_keeps_the_most_recent_orders_by_their_own_time_and_each_order_id_once()
    {
        var sample = new OrderSample(3);
        Admit(sample, "b", 2);
        Admit(sample, "a", 1);
        Admit(sample, "c", 3);
        var duplicate = sample.Plan("a", T0.AddMinutes(9)); // the same order again, even with another time, changes nothing
        Assert.False(duplicate.Changes);

        var newer = sample.Plan("d", T0.AddMinutes(4));
        Assert.Equal([OrderSample.KeyOf("a", T0.AddMinutes(1))], newer.Evicted);
        Assert.Equal(3, sample.Count); // planning changes nothing
        sample.Apply(newer);
        var older = sample.Plan("z", T0); // older than every order of a full sample: it does not enter
        Assert.False(older.Changes);

        Assert.Equal(["b", "c", "d"], sample.Keys.Select(OrderSample.OrderIdOf));
        Assert.False(sample.Contains("a"));
    }

    [Fact]
    public void The_index_is_rebuilt_from_the_stored_keys_and_a_smaller_capacity_cuts_the_oldest_at_the_next_order()
    {
        var stored = new[] { "c", "a", "b" }.Select((id, i) => OrderSample.KeyOf(id, T0.AddMinutes(i))).ToList();
        var sample = new OrderSample(2);
        sample.Load(stored);
        Assert.True(sample.Contains("a"));
        var change = sample.Plan("d", T0.AddMinutes(10));
        Assert.Equal(["c", "a"], change.Evicted.Select(OrderSample.OrderIdOf));
        sample.Apply(change);
        Assert.Equal(["b", "d"], sample.Keys.Select(OrderSample.OrderIdOf));
    }

    [Fact]
    public void Training_is_due_after_so_many_new_orders_or_so_long_whichever_first_and_never_twice_at_once()
    {
        var schedule = new TrainingSchedule(everyOrders: 3, every: TimeSpan.FromMinutes(10), start: T0);
        Assert.False(schedule.IsDue(T0.AddHours(1))); // nothing new: nothing to learn
        schedule.OrderAdded();
        schedule.OrderAdded();
        Assert.False(schedule.IsDue(T0.AddMinutes(5)));
        schedule.OrderAdded();
        Assert.True(schedule.IsDue(T0.AddMinutes(5))); // three orders before ten minutes

        schedule.Started(T0.AddMinutes(5));
        for (var i = 0; i < 5; i++) schedule.OrderAdded();
        Assert.False(schedule.IsDue(T0.AddMinutes(30))); // one training at a time
        schedule.Finished();
        Assert.True(schedule.IsDue(T0.AddMinutes(30)));

        schedule.Started(T0.AddMinutes(30));
        schedule.Finished();
        schedule.OrderAdded();
        Assert.False(schedule.IsDue(T0.AddMinutes(39)));
        Assert.True(schedule.IsDue(T0.AddMinutes(40))); // one order, but ten minutes since the last start
    }
}

/// <summary>The December 2010 extract as the trainer's sample, with its derived catalog.</summary>
public sealed class December2010Sample
{
    public December2010Sample()
    {
        Orders = OrderFiles.Read(RepositoryFiles.OnlineRetail).Orders;
        Catalog = new InMemoryCatalog(OnlineRetailCatalog.Derive(Orders).Select(p => p.ToCatalogItem()));
        Ranking = new RecommendationOptions { MultiBuyCategories = OnlineRetailCatalog.MultiBuyCategories };
    }

    public IReadOnlyList<HistoricalOrder> Orders { get; }
    public InMemoryCatalog Catalog { get; }
    public RecommendationOptions Ranking { get; }

    public OrderCompleted Completed(HistoricalOrder order) => new()
    {
        EventId = "e-" + order.OrderId, OrderId = order.OrderId, Timestamp = order.Timestamp,
        Lines = order.Lines.Select(l => new OrderLine { Sku = l.Sku, Quantity = l.Quantity, UnitPrice = l.UnitPrice }).ToArray(),
    };

    public EvalOrder Eval(HistoricalOrder order) => new(order.OrderId, order.Timestamp, order.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList());
}

public sealed class RankerTrainerTopologyTests(December2010Sample data) : IClassFixture<December2010Sample>
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private const string Repartition = "cartxsell-ranker-trainer-orders-repartition";

    private static RankerTrainerStreamOptions Small() => new()
    {
        SampleOrders = 5_000, EveryOrders = 20, Every = TimeSpan.FromHours(1), CheckInterval = TimeSpan.FromSeconds(5), Trees = 1, Leaves = 2,
    };

    private (GroupTestDriver Driver, ModelTable Models, RankerTrainerMetrics Metrics) Driver(RankerTrainerStreamOptions options, RankerTrainerOptions trainer)
    {
        var models = new ModelTable(data.Ranking, NullLoggerFactory.Instance);
        var metrics = new RankerTrainerMetrics(Prometheus.Metrics.NewCustomRegistry());
        var group = RankerTrainerTopology.Build(Streams, options, trainer, new LearnerOptions(), data.Catalog, models, trainerMetrics: metrics);
        return (new GroupTestDriver(group, Streams), models, metrics);
    }

    [Fact]
    public void The_stream_trainers_tree_settings_reach_the_trainer_and_a_bad_one_is_refused_at_start_naming_its_section()
    {
        var options = Small();
        options.FeatureFraction = 0.6;
        options.BaggingFraction = 0.8;
        var trainer = options.Trainer(new LearningOptions(), new RecommendationOptions());
        Assert.Equal((1, 2, 0.6, 0.8), (trainer.Trees, trainer.Leaves, trainer.FeatureFraction, trainer.BaggingFraction));

        // The model is trained on the features the recommender serves: Recommender:Ranking's recency weights and shrinkage.
        var ranking = new RecommendationOptions { RecencyDecay = 0.8, RecencyFloor = 0.1, Shrinkage = 3 };
        var served = new Engine.Ranking.LearnedAddOnRanker(ModelSwapTests.CosineModel("served"), ranking).Candidates.Options;
        Assert.Equal(served, options.Trainer(new LearningOptions(), ranking).CandidatesInUse);
        Assert.Equal((0.8, 0.1, 3.0), (served.RecencyDecay, served.RecencyFloor, served.Shrinkage));
        options.FeatureFraction = 0;
        var refused = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.Contains(RankerTrainerStreamOptions.SectionName, refused.Message);
        Assert.Contains(nameof(RankerTrainerOptions.FeatureFraction), refused.Message);
    }

    [Fact]
    public void Orders_reach_the_sample_under_one_key_by_the_learners_rules_and_the_sample_keeps_the_newest_once_each()
    {
        var options = Small();
        options.SampleOrders = 3;
        var (driver, _, _) = Driver(options, options.Trainer(new LearningOptions(), data.Ranking));
        using var _ = driver;
        var now = Store.Now;
        OrderCompleted Order(string id, int minutes) => data.Completed(data.Orders[0]) with { OrderId = id, EventId = "e-" + id, Timestamp = now.AddMinutes(minutes) };
        driver.Pipe(Topics.OrderEvents, "o1", Order("o1", -5), ContractCodecs.OrderCompleted);
        driver.Pipe(Topics.OrderEvents, "someone-else", Order("o2", -4), ContractCodecs.OrderCompleted); // not keyed by its order id
        driver.Pipe(Topics.OrderEvents, "o3", Order("o3", 60 * 24 * 400), ContractCodecs.OrderCompleted); // more than a year ahead

        Assert.Equal(Repartition, RankerTrainerTopology.RepartitionTopic(Streams));
        var routed = driver.SentTo(Repartition);
        Assert.Equal([RankerTrainerTopology.SampleKey], routed.Select(r => r.Key));
        Assert.Equal("o1", ContractCodecs.OrderCompleted.Decode(routed[0].Value).Value!.OrderId);
        Assert.Equal([DeadLetterKinds.KeyMismatch, DeadLetterKinds.ImplausibleTime], driver.DeadLetters.Select(d => d.Kind));
        Assert.All(driver.DeadLetters, d => Assert.Equal(TopologyNames.RankerSampleRouter, d.Processor));

        foreach (var (id, minutes) in new[] { ("a", 1), ("b", 2), ("c", 3), ("a", 1), ("d", 4), ("z", 0) })
            driver.Pipe(Repartition, RankerTrainerTopology.SampleKey, Order(id, minutes), ContractCodecs.OrderCompleted);
        driver.Commit();
        var stored = driver.Store<OrderCompleted>(TopologyNames.RankerSampleStore).All().Select(e => e.Value.OrderId).Order();
        Assert.Equal(["b", "c", "d"], stored);
    }

    /// <summary>Orders as the router sends them to the sample.</summary>
    private void Sample(GroupTestDriver driver, IEnumerable<HistoricalOrder> orders)
    {
        foreach (var order in orders)
            driver.Pipe(Repartition, RankerTrainerTopology.SampleKey, data.Completed(order), ContractCodecs.OrderCompleted);
    }

    private static RankingModel Model(SentRecord published) => new RankingModelCodec().Decode(published.Value).Value!;

    private static long Outcomes(RankerTrainerMetrics metrics) => new[] { PublicationKind.Promoted, PublicationKind.Refused, PublicationKind.NoModel }
        .Sum(k => new[] { "no-model-in-service", "not-worse", "worse", "superseded", "too-large", "too-few-orders", "failed" }.Sum(r => metrics.Count(k, r)));

    /// <summary>
    /// Fires the trainer's checks (the first one starts the training that is due) until the background training's
    /// outcome is picked up, and returns what was published to <c>ranking-models</c> meanwhile.
    /// </summary>
    private static IReadOnlyList<SentRecord> AwaitOutcome(GroupTestDriver driver, RankerTrainerMetrics metrics)
    {
        var before = Outcomes(metrics);
        var already = driver.SentTo(Topics.RankingModels).Count;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(90))
        {
            driver.AdvanceWallClock(Small().CheckInterval);
            if (Outcomes(metrics) > before) return driver.SentTo(Topics.RankingModels).Skip(already).ToList();
            Thread.Sleep(200);
        }
        throw new TimeoutException("no training outcome within 90 s");
    }

    [Fact]
    public void Promotion_refuses_a_worse_model_in_the_stream_it_is_published_only_as_a_candidate_and_the_serving_model_stays()
    {
        // A strong model in service (ten trees), and a trainer that can only fit one two-leaf tree on the same orders.
        var orders = data.Orders.Select(data.Eval).ToList();
        var (strong, _) = RankerTrainer.Train(orders, data.Catalog,
            new RankerTrainerOptions { Trees = 10, TaskMixes = [TaskMix.Both], Recommendation = data.Ranking });
        var weak = Small().Trainer(new LearningOptions(), data.Ranking) with { TaskMixes = [TaskMix.RandomItem] };
        var (driver, models, metrics) = Driver(Small(), weak);
        using var _ = driver;
        driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, strong.ToBytes());
        Sample(driver, data.Orders);

        var published = AwaitOutcome(driver, metrics);

        Assert.Equal(1, metrics.Count(PublicationKind.Refused, "worse"));
        var candidate = Assert.Single(published);
        Assert.Equal(ModelPublication.CandidateKey, candidate.Key);
        var refused = Model(candidate);
        Assert.NotEqual(strong.Version, refused.Version);
        Assert.Equal(1, refused.Metrics[ModelPublication.Generation]); // the model in service was published by hand (generation 0)
        Assert.Equal(data.Orders.Count, refused.Metrics["training_orders"]);
        Assert.True(refused.Metrics["promotion_candidate_ratio"] < refused.Metrics["promotion_in_service_ratio"]);
        Assert.True(refused.Metrics["promotion_standard_error"] > 0);
        Assert.Equal(strong.Version, models.Serving!.Model.Version);
    }

    [Fact]
    public void Without_a_model_in_service_the_first_model_is_promoted_with_its_metrics_and_too_few_orders_publish_nothing()
    {
        // The first model is judged against the heuristic (what serves without one): ten trees of seven leaves, as the
        // end-to-end test trains, not the one split that stands in for a weak model above.
        var (driver, _, metrics) = Driver(Small(), Small().Trainer(new LearningOptions(), data.Ranking) with { Trees = 10, Leaves = 7, TaskMixes = [TaskMix.Both] });
        using var _ = driver;
        Sample(driver, data.Orders.Take(20));
        Assert.Empty(AwaitOutcome(driver, metrics)); // twenty new orders make a training due: twenty are too few
        Assert.Equal(1, metrics.Count(PublicationKind.NoModel, "too-few-orders"));

        Sample(driver, data.Orders.Skip(20));
        var published = AwaitOutcome(driver, metrics);

        Assert.Equal(1, metrics.Count(PublicationKind.Promoted, "no-model-in-service"));
        var serving = Assert.Single(published);
        Assert.Equal(ModelTable.ServingKey, serving.Key);
        var model = Model(serving);
        Assert.True(serving.Value.Length <= ModelTable.MaxModelBytes);
        Assert.Equal(1, model.Metrics[ModelPublication.Generation]);
        Assert.Equal(data.Orders.Count, model.Metrics["training_orders"]);
        Assert.True(model.Metrics["validation_hr3_random"] > 0);
        Assert.Contains("validation_hr3_random_basket_counts", model.Metrics.Keys);
    }

    [Fact]
    public void After_an_operator_rolls_back_to_the_model_it_replaced_the_next_training_is_judged_against_the_rollback()
    {
        // A hand-published model (generation 0) that scores every candidate alike: the trainer's first model beats it.
        var byHand = new RankingModel(new TreeEnsemble([], 0, RankingFeatures.Count), RankingFeatures.Names, -1, 0, 0, Store.Now,
            new Dictionary<string, double> { [ModelPublication.Generation] = 0 }, "by hand");
        var (driver, models, metrics) = Driver(Small(), Small().Trainer(new LearningOptions(), data.Ranking) with { Trees = 10, Leaves = 7, TaskMixes = [TaskMix.Both] });
        using var _ = driver;
        driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, byHand.ToBytes());
        var first = data.Orders.Take(data.Orders.Count * 2 / 3).ToList();
        Sample(driver, first);
        var promoted = Assert.Single(AwaitOutcome(driver, metrics));
        Assert.Equal((ModelTable.ServingKey, 1.0), (promoted.Key, Model(promoted).Metrics[ModelPublication.Generation]));

        // The global store reads the promoted model back, then the operator's rollback: the model it replaced, again.
        driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, promoted.Value);
        driver.PipeRaw(Topics.RankingModels, ModelTable.ServingKey, byHand.ToBytes());
        Assert.Equal(byHand.Version, models.Serving!.Model.Version);

        Sample(driver, data.Orders.Skip(first.Count));
        var next = Assert.Single(AwaitOutcome(driver, metrics));
        // Judged against the rollback (generation 0), not against the model this trainer had published (generation 1).
        Assert.Equal(1, Model(next).Metrics[ModelPublication.Generation]);
    }

    [Fact]
    public void The_recommenders_keep_only_the_serving_model_a_candidate_is_read_but_not_held()
    {
        var models = new ModelTable(data.Ranking, NullLoggerFactory.Instance);
        var candidate = new RankingModel(new TreeEnsemble([], 1, RankingFeatures.Count), RankingFeatures.Names, -1, 0, 0, Store.Now);
        models.Table.Apply(ModelPublication.CandidateKey, candidate.ToBytes());
        Assert.Null(models.Serving);
        Assert.Equal((0, 0L, 0L), (models.Table.Count, models.ServingChanges, models.Table.Rejected));
        models.Table.Apply(ModelTable.ServingKey, candidate.ToBytes());
        Assert.Equal((1, 1L), (models.Table.Count, models.ServingChanges));
        Assert.Equal(candidate.Version, models.Table.Find(ModelTable.ServingKey)!.Version);
        Assert.Null(models.Table.Find(ModelPublication.CandidateKey));
    }
}

public sealed class ModelPublicationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static RankingModel Flat(double generation) => new(new TreeEnsemble([], generation, RankingFeatures.Count), RankingFeatures.Names, -1, 0, 0, T0,
        new Dictionary<string, double> { [ModelPublication.Generation] = generation });

    private static TrainingOutcome Trained(bool promote, bool againstHeuristic = false) => TrainingOutcome.Trained(1_234, TimeSpan.FromSeconds(42), Flat(0),
        new TrainingReport(1_234, 100, 90, 9_000, 150, 13_500, T0, [], 0.1, 0.2, 0.1, 0.6, 0, TimeSpan.FromSeconds(40))
        {
            Promotion = new ModelPromotion(promote, "measured", promote ? 1.2 : 0.8, 1.0) { AgainstHeuristic = againstHeuristic },
        });

    [Fact]
    public void Without_a_model_in_service_a_first_model_worse_than_the_heuristic_goes_to_candidate_not_serving()
    {
        var worse = ModelPublication.Decide(Trained(promote: false, againstHeuristic: true), null, null, T0);
        Assert.Equal((PublicationKind.Refused, "worse", ModelPublication.CandidateKey), (worse.Kind, worse.Reason, worse.Key));
        Assert.Equal(1, worse.Model!.Metrics[ModelPublication.Generation]);

        var better = ModelPublication.Decide(Trained(promote: true, againstHeuristic: true), null, null, T0);
        Assert.Equal((PublicationKind.Promoted, "no-model-in-service", ModelTable.ServingKey), (better.Kind, better.Reason, better.Key));
    }

    [Fact]
    public void A_promoted_model_is_published_under_serving_one_generation_after_the_model_it_replaces_with_what_identifies_its_training()
    {
        var inService = Flat(6);
        var publication = ModelPublication.Decide(Trained(promote: true), inService, inService, T0);

        Assert.Equal((PublicationKind.Promoted, "not-worse", ModelTable.ServingKey), (publication.Kind, publication.Reason, publication.Key));
        Assert.Equal(7, publication.Model!.Metrics[ModelPublication.Generation]);
        Assert.Equal(1_234, publication.Model.Metrics["training_orders"]);
        Assert.Equal(T0.ToUnixTimeMilliseconds(), publication.Model.Metrics["published_at_unix_ms"]);
        Assert.Equal(publication.Model.ToBytes(), publication.Bytes);
        // The same training published a moment later is another version: versions are unique per publication.
        Assert.NotEqual(publication.Model.Version, ModelPublication.Decide(Trained(promote: true), inService, inService, T0.AddSeconds(1)).Model!.Version);
    }

    [Fact]
    public void A_worse_a_superseded_or_an_oversized_model_never_goes_to_serving_and_too_few_orders_publish_nothing()
    {
        var inService = Flat(6);
        var worse = ModelPublication.Decide(Trained(promote: false), inService, inService, T0);
        Assert.Equal((PublicationKind.Refused, "worse", ModelPublication.CandidateKey), (worse.Kind, worse.Reason, worse.Key));

        var superseded = ModelPublication.Decide(Trained(promote: true), inService, Flat(9), T0); // another model was published meanwhile
        Assert.Equal((PublicationKind.Refused, "superseded", ModelPublication.CandidateKey), (superseded.Kind, superseded.Reason, superseded.Key));

        var large = ModelPublication.Decide(Trained(promote: true), inService, inService, T0, maxBytes: 100);
        Assert.Equal((PublicationKind.Refused, "too-large"), (large.Kind, large.Reason));
        Assert.Null(large.Key);

        var none = ModelPublication.Decide(new TrainingOutcome(20, TimeSpan.FromSeconds(1), null, null, "not enough orders", TooFewOrders: true), inService, inService, T0);
        Assert.Equal((PublicationKind.NoModel, "too-few-orders"), (none.Kind, none.Reason));
        Assert.Null(none.Key);
    }
}

/// <summary>Which model a trainer judges its next training against while the global store may lag its own promotions.</summary>
public sealed class UnreadPublicationsTests
{
    [Fact]
    public void A_promotion_is_in_service_until_the_store_reads_it_then_the_store_knows_better()
    {
        var unread = new UnreadPublications<string>();
        Assert.Equal("old", unread.InService(4, "old")); // nothing promoted: the store's
        unread.Promoted("a", 4);
        Assert.Equal("a", unread.InService(4, "old")); // the store has not read it
        Assert.Equal("a", unread.InService(5, "a")); // read: the store's, which is the same
        Assert.Equal("by-hand", unread.InService(6, "by-hand")); // an operator's publication after it wins
    }

    [Fact]
    public void Two_promotions_before_the_store_reads_the_first_keep_the_newest_until_the_store_has_read_both()
    {
        var unread = new UnreadPublications<string>();
        unread.Promoted("a", 4);
        unread.Promoted("b", 4); // a training finished before the store read "a"
        Assert.Equal("b", unread.InService(4, "old"));
        // The store read "a": its model in service is "a", but "b" is on its way and is what the next training must beat.
        Assert.Equal("b", unread.InService(5, "a"));
        Assert.Equal("b", unread.InService(6, "b"));
        Assert.Equal("later", unread.InService(7, "later"));
    }

    [Fact]
    public void A_promotion_after_the_store_read_the_earlier_one_counts_only_itself()
    {
        var unread = new UnreadPublications<string>();
        unread.Promoted("a", 4);
        Assert.Equal("a", unread.InService(5, "a")); // read
        unread.Promoted("b", 5);
        Assert.Equal("b", unread.InService(5, "a"));
        Assert.Equal("b", unread.InService(6, "b"));
        Assert.Equal("c", unread.InService(7, "c"));
        // Partly read: "a" read, "b" not yet, when "c" goes out: two in flight at "c"'s send minus the one read.
        var partly = new UnreadPublications<string>();
        partly.Promoted("a", 0);
        partly.Promoted("b", 0);
        partly.Promoted("c", 1); // the store had read "a" by then: "b" and "c" are in flight
        Assert.Equal("c", partly.InService(2, "b"));
        Assert.Equal("c", partly.InService(3, "c"));
        Assert.Equal("d", partly.InService(4, "d"));
    }
}
