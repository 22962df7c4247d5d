using CartCrossSell.Contracts;
using CartCrossSell.Redis;
using CartCrossSell.Streams.Processing;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// Where the recommender puts each cart's value: written at once, and durable before the commit that follows
/// (<see cref="IEffectSink.FlushAsync"/>). Production writes Redis; the topology driver tests capture.
/// </summary>
public interface ICartRecommendationSink : IEffectSink
{
    void Enqueue(CartRecommendation value);
}

/// <summary>The production sink: <see cref="RecommendationWriter"/>.</summary>
public sealed class RedisRecommendationSink(RecommendationWriter writer) : ICartRecommendationSink
{
    public void Enqueue(CartRecommendation value)
    {
        try
        {
            writer.Enqueue(value);
        }
        catch (InvalidOperationException e)
        {
            // The writer gave up on Redis: stop the thread (restart from the last commit), do not dead-letter the event.
            throw new EffectFailedException("Redis writes stopped; the recommender stops so that it restarts from its last commit", e);
        }
    }
    /// <summary>
    /// The values of the calling stream thread's tasks: the processor enqueues on the thread that processes the record
    /// and the commit flushes on it, so a commit need not wait for the other stream threads' values.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => writer.FlushEnqueuedByThisThreadAsync(cancellationToken);
}
