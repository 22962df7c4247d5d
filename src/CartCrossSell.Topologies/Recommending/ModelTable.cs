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
/// stays.
/// </summary>
public sealed class ModelTable : IReplicated
{
    public const string ServingKey = "serving";

    /// <summary>Kafka's default <c>message.max.bytes</c>: a model that does not fit is refused by the publisher.</summary>
    public const int MaxModelBytes = 1_000_000;

    private readonly RecommendationOptions _ranking;
    private volatile LearnedAddOnRanker? _serving;

    public ModelTable(RecommendationOptions ranking, ILoggerFactory loggers)
    {
        _ranking = ranking;
        Table = new ReplicatedTable<RankingModel>(Topics.RankingModels, new RankingModelCodec(), loggers);
        Table.Changed += (key, _, model) =>
        {
            if (key == ServingKey) _serving = model is null ? null : new LearnedAddOnRanker(model, _ranking);
        };
    }

    public ReplicatedTable<RankingModel> Table { get; }

    /// <summary>The ranker over the model in service, or null while the heuristic ranks.</summary>
    public LearnedAddOnRanker? Serving => _serving;

    public string Topic => Table.Topic;

    public long Rejected => Table.Rejected;

    public void AddTo(StreamBuilder builder) => Table.AddTo(builder);
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
