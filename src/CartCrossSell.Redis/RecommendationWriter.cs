using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CartCrossSell.Redis;

/// <summary>
/// Buffers the latest recommendation per cart between commits and writes them in one pipelined batch when the
/// processing layer flushes. A failed batch is retried with exponential backoff; until it succeeds the layer does
/// not commit input offsets, so nothing is lost during a Redis outage.
/// </summary>
public sealed class RecommendationWriter
{
    private readonly RecommendationStore _store;
    private readonly ILogger _log;
    private readonly IRecommendationWriteObserver? _observer;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, CartRecommendation> _pending = new(StringComparer.Ordinal);
    private long _written, _stale, _failures;

    public RecommendationWriter(RecommendationStore store, ILogger<RecommendationWriter> log, IRecommendationWriteObserver? observer = null, TimeProvider? clock = null)
    {
        _store = store;
        _log = log;
        _observer = observer;
        _clock = clock ?? TimeProvider.System;
    }

    public long Written => Interlocked.Read(ref _written);
    /// <summary>Writes Redis refused because a newer version was stored (replays, races): expected, and harmless.</summary>
    public long Stale => Interlocked.Read(ref _stale);
    public long Failures => Interlocked.Read(ref _failures);
    public int Pending => _pending.Count;

    /// <summary>Buffers a value; a later version for the same cart replaces an earlier one before it is written.</summary>
    public void Enqueue(CartRecommendation value) =>
        _pending.AddOrUpdate(value.CartId, value, (_, existing) => existing.Version >= value.Version ? existing : value);

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.IsEmpty) return;
        var batch = _pending.Values.ToArray();
        var options = _store.Options;
        var delay = options.InitialBackoff;
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var replaced = await _store.WriteManyAsync(batch, cancellationToken);
                _observer?.Written(batch, System.Diagnostics.Stopwatch.GetElapsedTime(started), _clock.GetUtcNow());
                Interlocked.Add(ref _written, replaced);
                Interlocked.Add(ref _stale, batch.Length - replaced);
                foreach (var value in batch)
                    ((ICollection<KeyValuePair<string, CartRecommendation>>)_pending).Remove(new(value.CartId, value));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException && attempt < options.MaxRetries)
            {
                Interlocked.Increment(ref _failures);
                _observer?.Failed(e);
                _log.LogWarning("Redis write of {Count} carts failed (attempt {Attempt}/{Max}), retrying in {Delay} ms: {Error}",
                    batch.Length, attempt + 1, options.MaxRetries + 1, (int)delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxBackoff.Ticks));
            }
        }
    }
}

/// <summary>Sees every batch written to Redis (for latency and freshness metrics) and every failed attempt.</summary>
public interface IRecommendationWriteObserver
{
    void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt);
    void Failed(Exception error);
}
