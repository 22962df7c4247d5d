using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The ranking model in service: the <c>ranking-models</c> topic as a table replicated on every recommender (a
/// Streamiz global store), key <see cref="ServingKey"/>. A new model published there ranks the next event of every
/// cart, without a restart; until one exists (or after a tombstone) the heuristic ranks. A record that is not a
/// model this engine can serve (another feature layout, corrupt bytes) is counted and ignored: the model in service
/// stays. Models under other keys are not kept (<see cref="ServingOnly"/>).
/// </summary>
public sealed class ModelTable : IReplicated
{
    public const string ServingKey = "serving";

    /// <summary>Kafka's default <c>message.max.bytes</c>: a model that does not fit is refused by the publisher.</summary>
    public const int MaxModelBytes = 1_000_000;

    private readonly RecommendationOptions _ranking;
    private volatile LearnedAddOnRanker? _serving;
    private long _servingChanges;
    private long _learningMismatches;

    /// <param name="learning">
    /// The learner's options (the rows this service reads): a model in service whose training read rows learned
    /// otherwise is logged as a warning and counted (<see cref="LearningMismatches"/>). It still serves: its rows are
    /// the only ones there are, and the heuristic is not known to be better. Null: not checked.
    /// </param>
    public ModelTable(RecommendationOptions ranking, ILoggerFactory loggers, LearningOptions? learning = null)
    {
        _ranking = ranking;
        var logger = loggers.CreateLogger<ModelTable>();
        Table = new ReplicatedTable<RankingModel>(Topics.RankingModels, new RankingModelCodec(), loggers, new ServingOnly());
        Table.Changed += (key, _, model) =>
        {
            if (key != ServingKey) return;
            if (model is not null && learning is not null && model.LearningDifferences(learning) is { Count: > 0 } differences)
            {
                Interlocked.Increment(ref _learningMismatches);
                logger.LogWarning("Ranking model {Version} was fitted on rows learned otherwise than this service learns them ({Differences}): its features differ from its training's; retrain it with the learner's Learning settings",
                    model.Version, string.Join("; ", differences));
            }
            _serving = model is null ? null : new LearnedAddOnRanker(model, _ranking);
            Interlocked.Increment(ref _servingChanges);
        };
    }

    /// <summary>Models put in service whose training read rows learned with other options than the learner's (see the constructor).</summary>
    public long LearningMismatches => Interlocked.Read(ref _learningMismatches);

    /// <summary>Exports <see cref="LearningMismatches"/> as <c>cartxsell_models_fitted_on_other_rows_total</c>, read at each scrape.</summary>
    public void ExportTo(Prometheus.CollectorRegistry registry)
    {
        var counter = Prometheus.Metrics.WithCustomRegistry(registry).CreateCounter("cartxsell_models_fitted_on_other_rows_total",
            "Ranking models put in service whose training read rows learned with other Learning settings than this service's learner (each logged as a warning; the model still serves)");
        registry.AddBeforeCollectCallback(() => counter.IncTo(LearningMismatches));
    }

    /// <summary>
    /// How many records under <see cref="ServingKey"/> the table has applied (counted after <see cref="Serving"/> shows
    /// each): a reader that saw this count unchanged knows the table read nothing for the serving key meanwhile, not
    /// even the model it had already.
    /// </summary>
    public long ServingChanges => Interlocked.Read(ref _servingChanges);

    public ReplicatedTable<RankingModel> Table { get; }

    /// <summary>The ranker over the model in service, or null while the heuristic ranks.</summary>
    public LearnedAddOnRanker? Serving => _serving;

    public string Topic => Table.Topic;

    public long Rejected => Table.Rejected;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);
}

/// <summary>
/// Holds the model under <see cref="ModelTable.ServingKey"/> only. Records under other keys (a refused model published
/// under <c>candidate</c> for inspection) are decoded, checked and passed to the handlers but not kept, so no key of
/// the topic costs the recommenders a model's memory unless it may serve.
/// </summary>
internal sealed class ServingOnly : ITableStorage<RankingModel>
{
    private volatile RankingModel? _serving;

    public int Count => _serving is null ? 0 : 1;
    public RankingModel? Find(string key) => key == ModelTable.ServingKey ? _serving : null;
    public bool Contains(string key) => Find(key) is not null;

    public IEnumerable<KeyValuePair<string, RankingModel>> Entries =>
        _serving is { } model ? [new(ModelTable.ServingKey, model)] : [];

    public RankingModel? Store(string key, RankingModel? value)
    {
        if (key != ModelTable.ServingKey) return null;
        var previous = _serving;
        _serving = value;
        return previous;
    }

    public void Clear() => _serving = null;
}

/// <summary>A ranking model as the topic carries it: the engine's binary form, accepted only if this engine can serve it.</summary>
public sealed class RankingModelCodec : IValueCodec<RankingModel>
{
    public byte[] Encode(RankingModel value) => value.ToBytes();

    public Decoded<RankingModel> Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var model = RankingModel.FromBytes(bytes);
            return model.MatchesFeatures
                ? Decoded<RankingModel>.Success(model)
                : Decoded<RankingModel>.Failure(DeadLetterKinds.Invalid, $"model {model.Version} reads other features than this engine writes");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or OverflowException)
        {
            return Decoded<RankingModel>.Failure(DeadLetterKinds.Unparseable, $"not a ranking model: {e.Message}");
        }
    }
}
