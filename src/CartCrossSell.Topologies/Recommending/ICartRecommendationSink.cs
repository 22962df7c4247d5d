using CartCrossSell.Contracts;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// Where the recommender puts each cart's value: buffered per cart, flushed by the layer before offsets commit.
/// Production writes Redis (<see cref="CartCrossSell.Redis.RecommendationWriter"/>); the topology driver tests capture.
/// </summary>
public interface ICartRecommendationSink : IEffectSink
{
    void Enqueue(CartRecommendation value);
}
