using CartCrossSell.Contracts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CartCrossSell.Redis;

/// <summary>
/// Writes each cart's latest value to Redis as soon as it is ranked: a background pump sends whatever is pending in
/// one pipelined batch of version compare-and-set writes, so the storefront reads a change within milliseconds
/// instead of at the next commit. <see cref="FlushAsync"/> is the commit barrier: it returns once every value
/// enqueued before the call is in Redis, so input offsets never move past a value that was not written. A replay
/// after a crash writes older versions again, which Redis refuses (<see cref="Stale"/>).
/// </summary>
/// <remarks>
/// A failed batch is retried with exponential backoff; while Redis is down values for the same cart coalesce, and
/// <see cref="Enqueue"/> blocks once <see cref="RedisStoreOptions.MaxPendingWrites"/> carts wait (backpressure on
/// the stream thread instead of unbounded memory). When the retries are exhausted, or a batch fails in a way no retry
/// mends, the pump stops and every flush throws: the topology stops and its supervisor restarts it from the last commit.
/// </remarks>
public sealed class RecommendationWriter : IAsyncDisposable
{
    private const int CoalesceBelow = 32;
    private readonly RecommendationStore _store;
    private readonly ILogger _log;
    private readonly IRecommendationWriteObserver? _observer;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private readonly Dictionary<string, CartRecommendation> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private TaskCompletionSource _progress = NewSignal();
    // Set by a flush that has to wait, reset when the pump takes a batch: the pump then writes at once instead of
    // letting the batch grow (Redis:WriteCoalesce), which a commit would otherwise wait out.
    private TaskCompletionSource _flushWaiting = NewSignal();
    private long _enqueued, _durable, _inFlight;
    private long _written, _stale, _failures;
    private Exception? _failure;

    // The number of the last value each thread enqueued (0: none yet), so a stream thread's commit waits for its own
    // values only (FlushEnqueuedByThisThreadAsync). Never disposed: an Enqueue or a flush that comes after DisposeAsync
    // behaves as it always did instead of throwing ObjectDisposedException; the runtime frees it with the writer.
    private readonly ThreadLocal<long> _lastEnqueuedByThread = new();

    public RecommendationWriter(RecommendationStore store, ILogger<RecommendationWriter> log, IRecommendationWriteObserver? observer = null, TimeProvider? clock = null)
    {
        _store = store;
        _log = log;
        _observer = observer;
        _clock = clock ?? TimeProvider.System;
        _pump = Task.Run(PumpAsync);
    }

    public long Written => Interlocked.Read(ref _written);
    /// <summary>Writes Redis refused because a newer version was stored (replays, races): expected, and harmless.</summary>
    public long Stale => Interlocked.Read(ref _stale);
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// True from a failed batch write until the next one succeeds: effects cannot be written now, so the instance is
    /// not ready (its carts' values are not fresh), though it is live while it retries.
    /// </summary>
    public bool IsFailing => Volatile.Read(ref _failing);

    private bool _failing;

    /// <summary>Carts whose latest value is not yet confirmed in Redis (waiting or being written).</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _pending.Count + (int)_inFlight;
        }
    }

    /// <summary>Queues a value for writing now; a later version for the same cart replaces an earlier one still waiting.</summary>
    public void Enqueue(CartRecommendation value)
    {
        lock (_gate)
        {
            while (_pending.Count + _inFlight >= _store.Options.MaxPendingWrites && _failure is null && !_stop.IsCancellationRequested)
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(100));
            ThrowIfFailed();
            if (!_pending.TryGetValue(value.CartId, out var existing) || existing.Version < value.Version) _pending[value.CartId] = value;
            _lastEnqueuedByThread.Value = ++_enqueued;
            _observer?.Enqueued(value, _clock.GetUtcNow()); // under the lock, so always before the pump can write it
        }
        _wake.Release();
    }

    /// <summary>Returns once every value enqueued before this call is in Redis; throws if the writer gave up.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        long target;
        lock (_gate) target = _enqueued;
        return FlushThroughAsync(target, cancellationToken);
    }

    /// <summary>
    /// Returns once every value the calling thread enqueued before this call is in Redis (from a thread that has
    /// enqueued none: every value, as <see cref="FlushAsync"/>); throws if the writer gave up. The commit barrier of a
    /// stream thread, which enqueues its own tasks' values: with several stream threads on one writer, waiting for
    /// every value made each task's flush wait for the other threads' newest values too (two threads: a flush waited
    /// 2.4-3.3 ms at the median, now 0; 3.1-4.3 ms on average, now 2.8; docs/benchmarks.md, "Half the drained rate in a
    /// quiet hour").
    /// </summary>
    public Task FlushEnqueuedByThisThreadAsync(CancellationToken cancellationToken = default)
    {
        var own = _lastEnqueuedByThread.Value;
        if (own == 0) return FlushAsync(cancellationToken);
        return FlushThroughAsync(own, cancellationToken);
    }

    private async Task FlushThroughAsync(long target, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                ThrowIfFailed();
                if (_durable >= target) return;
                progress = _progress.Task;
                _flushWaiting.TrySetResult();
            }
            await progress.WaitAsync(cancellationToken);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is null) return;
        throw new InvalidOperationException(_failure is RedisException or TimeoutException
            ? $"Redis writes stopped after {_store.Options.MaxRetries + 1} failed attempts: {_failure.Message}"
            : $"Redis writes stopped: {_failure.Message}", _failure);
    }

    private async Task PumpAsync()
    {
        var options = _store.Options;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // Let a few more values join a batch that would otherwise carry one: one round trip (and one task) per
            // value cost the stream thread CPU it needed on a two-core machine; the default 2 ms is small beside the
            // 50 ms target.
            // Not while a flush waits: that is a commit holding its stream thread until these values are written.
            if (options.WriteCoalesce > TimeSpan.Zero && Pending < CoalesceBelow)
            {
                Task flushWaiting;
                lock (_gate) flushWaiting = _flushWaiting.Task;
                if (!flushWaiting.IsCompleted)
                {
                    await Task.WhenAny(Task.Delay(options.WriteCoalesce, _stop.Token), flushWaiting);
                    if (_stop.IsCancellationRequested) return;
                }
            }
            while (_wake.CurrentCount > 0) _wake.Wait(0); // the values those releases announced are taken below
            CartRecommendation[] batch;
            long through;
            lock (_gate)
            {
                if (_pending.Count == 0) continue;
                batch = _pending.Values.ToArray();
                _pending.Clear();
                if (_flushWaiting.Task.IsCompleted) _flushWaiting = NewSignal(); // a flush that still waits after this batch sets it again
                _inFlight = batch.Length;
                through = _enqueued;
            }
            var delay = options.InitialBackoff;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    var replaced = await _store.WriteManyAsync(batch, _stop.Token);
                    _observer?.Written(batch, System.Diagnostics.Stopwatch.GetElapsedTime(started), _clock.GetUtcNow());
                    Interlocked.Add(ref _written, replaced);
                    Interlocked.Add(ref _stale, batch.Length - replaced);
                    Volatile.Write(ref _failing, false);
                    Settle(through, failure: null);
                    break;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    Interlocked.Increment(ref _failures);
                    Volatile.Write(ref _failing, true);
                    Observe(e);
                    if (attempt >= options.MaxRetries)
                    {
                        _log.LogError("Redis write of {Count} carts failed {Attempts} times; giving up: {Error}", batch.Length, attempt + 1, e.Message);
                        Settle(through, e);
                        return;
                    }
                    _log.LogWarning("Redis write of {Count} carts failed (attempt {Attempt}/{Max}), retrying in {Delay} ms: {Error}",
                        batch.Length, attempt + 1, options.MaxRetries + 1, (int)delay.TotalMilliseconds, e.Message);
                    try
                    {
                        await Task.Delay(delay, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxBackoff.Ticks));
                }
                catch (Exception e)
                {
                    // Not Redis being away but a value or a bug no retry mends (a value that does not serialise, an
                    // observer's Written that throws): stop as when the retries are exhausted, so every flush throws and
                    // the topology stops, instead of a pump that has ended while flushes wait for it forever.
                    Interlocked.Increment(ref _failures);
                    Volatile.Write(ref _failing, true);
                    Observe(e); // the error metric counts it like a failed attempt
                    _log.LogError(e, "Redis write of {Count} carts failed and cannot be retried; giving up", batch.Length);
                    Settle(through, e);
                    return;
                }
            }
        }
    }

    /// <summary>Tells the observer (the error metric) of a failure; an observer that throws must not end the pump unsettled.</summary>
    private void Observe(Exception failure)
    {
        try
        {
            _observer?.Failed(failure);
        }
        catch (Exception observerFailure) when (observerFailure is not OutOfMemoryException)
        {
            _log.LogWarning(observerFailure, "the write observer failed");
        }
    }

    /// <summary>Records that everything enqueued up to <paramref name="through"/> is written (or that writing failed) and wakes waiters.</summary>
    private void Settle(long through, Exception? failure)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _inFlight = 0;
            if (failure is null) _durable = Math.Max(_durable, through);
            else _failure = failure;
            signal = _progress;
            _progress = NewSignal();
            Monitor.PulseAll(_gate);
        }
        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_gate) Monitor.PulseAll(_gate);
        await _pump;
        _stop.Dispose();
        _wake.Dispose();
    }
}

/// <summary>Sees every batch written to Redis (for latency and freshness metrics) and every failed attempt.</summary>
public interface IRecommendationWriteObserver
{
    /// <summary>
    /// A value was ranked and queued for writing at <paramref name="rankedAt"/>: what came before it is the event's way
    /// through Kafka and the stream thread, what comes after (<see cref="Written"/>) the write.
    /// </summary>
    void Enqueued(CartRecommendation value, DateTimeOffset rankedAt) { }
    void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt);
    void Failed(Exception error);
}
