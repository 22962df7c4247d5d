using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Topologies.Training;

/// <summary>
/// The ranker trainer on Streamiz: retrains the ranking model from a bounded, recent sample of orders and publishes
/// it to <c>ranking-models</c> when it is not worse than the model in service. Two sub-topologies:
/// <list type="number">
/// <item><b>ranker-sample-router</b> reads <c>order-events</c>, admits each order by the learner's rules (key, time;
/// <see cref="OrderEventProcessor"/>) and sends it to <c>{app}-ranker-trainer-orders-repartition</c> under one key,
/// so one task owns the whole sample.</item>
/// <item><b>ranker-model-trainer</b> keeps the most recent <c>RankerTrainer:SampleOrders</c> orders in the store
/// <c>ranker-sample</c> (changelogged, keyed by time then order id, a duplicate order id kept once) and trains every
/// <c>EveryOrders</c> new orders or <c>Every</c>, whichever first, on a background task from a snapshot of the sample;
/// the model in service comes from <c>ranking-models</c>, read as a global store by this group.</item>
/// </list>
/// </summary>
public static class RankerTrainerTopology
{
    /// <summary>The one key of the repartition topic: the whole sample in one partition, one task.</summary>
    public const string SampleKey = "sample";

    public static string RepartitionTopic(StreamsOptions streams) =>
        TopicNames.Repartition(StreamApplication.ApplicationIdOf(streams, TopologyNames.RankerTrainer), TopologyNames.RankerOrdersRepartition);

    public static TopologyGroup Build(StreamsOptions streams, RankerTrainerStreamOptions options, RankerTrainerOptions trainer, LearnerOptions learner,
        ICatalog catalog, ModelTable models, ILoggerFactory? loggers = null, StreamsMetrics? metrics = null, RankerTrainerMetrics? trainerMetrics = null,
        TimeProvider? clock = null)
    {
        options.Validate();
        var repartition = RepartitionTopic(streams);
        var router = ProcessorRuntime.For(TopologyNames.RankerSampleRouter, streams, loggers, clock, metrics);
        var modelTrainer = ProcessorRuntime.For(TopologyNames.RankerModelTrainer, streams, loggers, clock, metrics);
        var builder = new StreamBuilder();

        builder.Stream(Topics.OrderEvents, new StringSerDes(), new ByteArraySerDes(), "ranker-order-events-source")
            .Transform(Processors.Supplier(() => new SampleRouter(router, repartition, learner)), TopologyNames.RankerSampleRouter)
            .ToRoutedTopics(TopologyNames.RankerSampleRouter + "-sink");

        builder.Stream(repartition, new StringSerDes(), new ByteArraySerDes(), "ranker-orders-source")
            .Transform(Processors.Supplier(() => new ModelTrainer(modelTrainer, options, trainer, catalog, models, trainerMetrics),
                    StateStores.KeyValue(TopologyNames.RankerSampleStore, ContractCodecs.OrderCompleted, streams, cached: true)),
                TopologyNames.RankerModelTrainer)
            .ToRoutedTopics(TopologyNames.RankerModelTrainer + "-sink");

        var tables = Replicated.AddTo(builder, metrics, TopologyNames.RankerTrainer, catalog, models);
        return new TopologyGroup(TopologyNames.RankerTrainer, builder.Build(), [Topics.OrderEvents, repartition, .. tables], [repartition, Topics.RankingModels]);
    }

    /// <summary>Admits an order as the learner does and sends it to the one key of the sample.</summary>
    private sealed class SampleRouter(ProcessorRuntime runtime, string repartitionTopic, LearnerOptions learner) : OrderEventProcessor(runtime, learner)
    {
        protected override void Process(InputRecord<OrderCompleted> record)
        {
            if (!KeyedByOrderId(record) || !PlausibleOrderTime(record.Value)) return;
            Send(repartitionTopic, SampleKey, ContractCodecs.OrderCompleted.Encode(record.Value), record.Timestamp);
        }
    }

    /// <summary>
    /// Keeps the sample and trains on it. The stream thread never trains: a punctuation every <c>CheckInterval</c>
    /// publishes a finished training's model and starts the next training when one is due, from a snapshot of the
    /// sample, on a background task. Nothing here can stop the stream: a failed training is counted and logged.
    /// </summary>
    private sealed class ModelTrainer(ProcessorRuntime runtime, RankerTrainerStreamOptions options, RankerTrainerOptions trainer, ICatalog catalog,
        ModelTable models, RankerTrainerMetrics? metrics)
        : RecordProcessor<OrderCompleted>(runtime, ContractCodecs.OrderCompleted)
    {
        private readonly OrderSample _sample = new(options.SampleOrders);
        private readonly BackgroundTraining _training = new(catalog);
        private readonly ILogger _log = runtime.Log;
        private IKeyValueStore<string, OrderCompleted> _store = null!;
        private TrainingSchedule _schedule = null!;
        private bool _loaded;
        private DateTimeOffset _trainingStarted;
        private RankingModel? _judgedAgainst;

        /// <summary>The models this trainer promoted that the global store may not have read yet.</summary>
        private readonly UnreadPublications<RankingModel> _published = new();

        protected override void Init()
        {
            _store = Store<IKeyValueStore<string, OrderCompleted>>(TopologyNames.RankerSampleStore);
            _schedule = new TrainingSchedule(options.EveryOrders, options.Every, Clock.GetUtcNow());
            Context.Schedule(options.CheckInterval, PunctuationType.PROCESSING_TIME, _ => Check());
        }

        protected override void Process(InputRecord<OrderCompleted> record)
        {
            LoadSample();
            var order = record.Value;
            var change = _sample.Plan(order.OrderId, order.Timestamp);
            if (!change.Changes) return; // a duplicate order id, or older than every order of a full sample
            if (change.Added is not null) _store.Put(change.Added, order);
            foreach (var key in change.Evicted) _store.Delete(key);
            _sample.Apply(change);
            if (change.Added is not null) _schedule.OrderAdded();
        }

        /// <summary>The index is derived from the whole store, so it is built once the store is restored (Process runs only then).</summary>
        private void LoadSample()
        {
            if (_loaded) return;
            var keys = new List<string>();
            StateStores.ForEach(_store, (key, _) => keys.Add(key));
            _sample.Load(keys);
            _loaded = true;
            _log.LogInformation("{Processor}: sample of {Orders} orders restored", Name, _sample.Count);
        }

        private void Check()
        {
            if (!StoresRestored) return;
            try
            {
                LoadSample();
                metrics?.SampleSize(_sample.Count);
                if (_training.TakeFinished() is { } outcome)
                {
                    try
                    {
                        Publish(outcome);
                    }
                    finally
                    {
                        _schedule.Finished();
                    }
                }
                var now = Clock.GetUtcNow();
                if (_schedule.IsDue(now)) StartTraining(now);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A punctuation that throws stops the stream thread: the next check tries again.
                _log.LogError(e, "{Processor}: the training check failed", Name);
            }
        }

        private void StartTraining(DateTimeOffset now)
        {
            var orders = new List<EvalOrder>(_sample.Count);
            StateStores.ForEach(_store, (_, order) => orders.Add(ToEvalOrder(order)));
            _judgedAgainst = InService();
            _training.Start(orders, trainer with { InService = _judgedAgainst });
            _schedule.Started(now);
            _trainingStarted = now;
            _log.LogInformation("{Processor}: training on the {Orders} orders of the sample against {InService}", Name, orders.Count, _judgedAgainst?.Version ?? "the heuristic (no model in service)");
        }

        private void Publish(TrainingOutcome outcome)
        {
            var now = Clock.GetUtcNow();
            var publication = ModelPublication.Decide(outcome, _judgedAgainst, InService(), now);
            metrics?.Trained(publication, now - _trainingStarted);
            if (publication.Kind == PublicationKind.Promoted)
            {
                // Counted before the send: the global thread may read the record back before the next line runs.
                _published.Promoted(publication.Model!, models.ServingChanges);
                Send(Topics.RankingModels, ModelTable.ServingKey, publication.Bytes!, now);
                _log.LogInformation("{Processor}: promoted {Detail}", Name, publication.Detail);
                return;
            }
            if (publication.Key is { } key && options.PublishRefused) Send(Topics.RankingModels, key, publication.Bytes!, now);
            _log.Log(publication.Reason == "failed" ? LogLevel.Error : LogLevel.Warning, "{Processor}: no model promoted ({Reason}): {Detail}",
                Name, publication.Reason, publication.Detail);
        }

        /// <summary>
        /// The model in service: the global store's, or the newest one this trainer promoted while the store has not
        /// read it yet (the next training must be judged against it, not against its predecessor; UnreadPublications).
        /// </summary>
        private RankingModel? InService() => _published.InService(models.ServingChanges, models.Serving?.Model);

        private static EvalOrder ToEvalOrder(OrderCompleted order) =>
            new(order.OrderId, order.Timestamp, order.Lines.Select(l => new EvalLine(l.Sku, l.Quantity, l.UnitPrice)).ToList());

        public override void Close()
        {
            _training.Cancel(); // the task moves or the group stops: its next owner trains from its own sample
            base.Close();
        }
    }
}
