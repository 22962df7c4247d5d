using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Redis.Tests;

/// <summary>The storefront's key against a real redis-server.</summary>
public sealed class RecommendationStoreTests : IDisposable
{
    private readonly RedisFixture _redis = new();

    private RecommendationStore Store(int maxRetries = 8, TimeSpan? writeCoalesce = null) => new(_redis.Connection, new RedisStoreOptions
    {
        Configuration = _redis.Server.Configuration, Ttl = TimeSpan.FromHours(2), MaxRetries = maxRetries, InitialBackoff = TimeSpan.FromMilliseconds(50), WriteTimeout = TimeSpan.FromSeconds(2),
        WriteCoalesce = writeCoalesce ?? new RedisStoreOptions().WriteCoalesce,
    });

    private static CartRecommendation Value(string cartId, long version, params string[] skus) => new()
    {
        CartId = cartId, Version = version, CartValue = 100m, Strategy = "basket-aware",
        GeneratedAt = DateTimeOffset.UtcNow, EventTimestamp = DateTimeOffset.UtcNow,
        AddOns = skus.Select(s => new RecommendedAddOn
        {
            Sku = s, VariantId = s + "-v", Title = s, Price = 20m, Score = 1, Reason = "r", VariantReason = "only variant",
            AddToCart = new OneClickAdd { CartId = cartId, Sku = s, VariantId = s + "-v" },
        }).ToArray(),
    };

    [Fact]
    public async Task A_cart_page_read_waits_for_the_value_answering_its_event_and_otherwise_returns_what_the_key_holds()
    {
        var store = Store();
        var older = Value("c9", 1, "socks") with { EventTimestamp = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero) };
        Assert.True(await store.WriteAsync(older));
        var viewedAt = older.EventTimestamp.AddSeconds(1);

        var (stale, answers) = await store.ReadAnsweringAsync("c9", viewedAt, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10));
        Assert.False(answers);
        Assert.Equal(1, stale!.Version);

        var pending = store.ReadAnsweringAsync("c9", viewedAt, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        Assert.True(await store.WriteAsync(Value("c9", 2, "gels") with { EventTimestamp = viewedAt }));
        var (fresh, answered) = await pending;
        Assert.True(answered);
        Assert.Equal(2, fresh!.Version);

        Assert.Equal((null, false), await store.ReadAnsweringAsync("missing", viewedAt, TimeSpan.Zero, TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public async Task A_later_cart_event_never_loses_to_an_earlier_one()
    {
        var store = Store();
        Assert.True(await store.WriteAsync(Value("c1", 5, "socks")));
        Assert.False(await store.WriteAsync(Value("c1", 3, "bottle")));  // arrives late: ignored
        Assert.False(await store.WriteAsync(Value("c1", 5, "gels")));    // a replay of the same version: ignored
        Assert.Equal("socks", (await store.ReadAsync("c1"))!.AddOns.Single().Sku);

        Assert.True(await store.WriteAsync(Value("c1", 6, "gels")));
        Assert.Equal("gels", (await store.ReadAsync("c1"))!.AddOns.Single().Sku);
    }

    [Fact]
    public async Task One_key_per_cart_with_the_documented_layout_and_a_ttl()
    {
        var store = Store();
        await store.WriteManyAsync([Value("c1", 1, "a"), Value("c2", 1, "b")]);
        var raw = await _redis.Connection.GetDatabase().StringGetAsync("xsell:v1:cart:c2");
        Assert.Contains("\"sku\":\"b\"", raw.ToString());
        var ttl = await store.TimeToLiveAsync("c1");
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task The_writer_writes_at_once_without_waiting_for_a_flush()
    {
        await using var writer = new RecommendationWriter(Store(), NullLogger<RecommendationWriter>.Instance);
        writer.Enqueue(Value("c1", 1, "a"));
        var store = Store();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await store.ReadAsync("c1") is null && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.Equal("a", (await store.ReadAsync("c1"))!.AddOns.Single().Sku); // no flush was asked for
    }

    /// <summary>
    /// A small batch waits Redis:WriteCoalesce for more values, but not while a flush (a commit) waits for it: with an
    /// minute's coalescing (the longest allowed) the value is not written on its own, and a flush gets it written at once.
    /// </summary>
    [Fact]
    public async Task A_waiting_flush_cuts_the_coalescing_of_a_small_batch_short()
    {
        await using var writer = new RecommendationWriter(Store(writeCoalesce: TimeSpan.FromMinutes(1)), NullLogger<RecommendationWriter>.Instance);
        writer.Enqueue(Value("c1", 1, "a"));
        await Task.Delay(300);
        Assert.Null(await Store().ReadAsync("c1")); // still growing its batch
        Assert.Equal(1, writer.Pending);

        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("a", (await Store().ReadAsync("c1"))!.AddOns.Single().Sku);
        // The next small batch coalesces again: the flush's request ended with the batch it was waiting for.
        writer.Enqueue(Value("c2", 1, "b"));
        await Task.Delay(300);
        Assert.Null(await Store().ReadAsync("c2"));
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("b", (await Store().ReadAsync("c2"))!.AddOns.Single().Sku);
    }

    [Fact]
    public async Task The_writer_retries_through_an_outage_and_its_flush_returns_only_once_everything_is_written()
    {
        await using var writer = new RecommendationWriter(Store(maxRetries: 100), NullLogger<RecommendationWriter>.Instance);
        await writer.FlushAsync(); // nothing pending is a no-op
        writer.Enqueue(Value("c0", 1, "z"));
        await writer.FlushAsync();

        _redis.Server.Stop();
        writer.Enqueue(Value("c1", 1, "a"));
        writer.Enqueue(Value("c1", 2, "b"));
        writer.Enqueue(Value("c2", 7, "c"));
        var flush = writer.FlushAsync();
        await Task.Delay(500);
        Assert.False(flush.IsCompleted, "the flush (the commit barrier) waits for Redis instead of dropping values");
        Assert.True(writer.Pending > 0);
        _redis.Restart(); // an empty server: the Lua script must be loaded again
        await flush.WaitAsync(TimeSpan.FromSeconds(60));

        var store = Store();
        Assert.Equal("b", (await store.ReadAsync("c1"))!.AddOns.Single().Sku);
        Assert.Equal(7, (await store.ReadAsync("c2"))!.Version);
        Assert.Equal(0, writer.Pending);
        Assert.True(writer.Failures > 0 || writer.Written >= 3, "the outage was seen or the client queued through it");
    }

    [Fact]
    public async Task A_writer_that_gives_up_makes_every_flush_fail_so_offsets_never_pass_a_lost_value()
    {
        await using var writer = new RecommendationWriter(Store(maxRetries: 1), NullLogger<RecommendationWriter>.Instance);
        _redis.Server.Stop();
        writer.Enqueue(Value("c1", 1, "a"));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Redis writes stopped", failed.Message);
        Assert.Throws<InvalidOperationException>(() => writer.Enqueue(Value("c2", 1, "b")));
        _redis.Restart();
    }

    [Fact]
    public async Task A_batch_no_retry_can_mend_stops_the_writer_so_the_flush_fails_instead_of_waiting_forever()
    {
        var observer = new FailureCount();
        await using var writer = new RecommendationWriter(Store(), NullLogger<RecommendationWriter>.Instance, observer);
        var unwritable = Value("c1", 1, "a");
        // A non-finite score does not serialise as JSON: the batch fails with no Redis error to retry on.
        unwritable = unwritable with { AddOns = [unwritable.AddOns[0] with { Score = double.NaN }] };
        writer.Enqueue(unwritable);
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Redis writes stopped", failed.Message);
        Assert.True(writer.IsFailing);
        Assert.Throws<InvalidOperationException>(() => writer.Enqueue(Value("c2", 1, "b")));
        Assert.Equal(1, observer.Failures); // the error metric sees it
    }

    [Fact]
    public async Task The_observer_sees_each_value_when_it_is_queued_at_the_writers_clock_and_again_when_it_is_written()
    {
        var observer = new Timeline();
        var clock = new FixedClock(new DateTimeOffset(2026, 12, 4, 1, 0, 0, TimeSpan.Zero));
        await using var writer = new RecommendationWriter(Store(), NullLogger<RecommendationWriter>.Instance, observer, clock);
        writer.Enqueue(Value("c1", 1, "a"));
        writer.Enqueue(Value("c1", 2, "b")); // coalesces with the first in Redis, but both were ranked
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var events = observer.Events;
        Assert.Equal([("queued", "c1", 1L), ("queued", "c1", 2L)], events.Where(e => e.Item1 == "queued"));
        Assert.All(observer.QueuedAt, at => Assert.Equal(clock.Now, at));
        // Each written value was seen queued first: the time to the queue and the write's time add up to the freshness.
        var written = events.Where(e => e.Item1 == "written").ToArray();
        Assert.Contains(("written", "c1", 2L), written);
        Assert.All(written, w => Assert.True(events.ToList().IndexOf(("queued", w.Item2, w.Item3)) < events.ToList().IndexOf(w)));
    }

    [Fact]
    public async Task A_stream_threads_flush_waits_for_the_values_it_enqueued_and_not_for_another_threads()
    {
        var gate = new HeldWrite("c2");
        await using var writer = new RecommendationWriter(Store(), NullLogger<RecommendationWriter>.Instance, gate);
        // Each thread keeps its own mark, so each step runs on a thread of its own (a task may change threads).
        static T OnThread<T>(Func<T> work)
        {
            T result = default!;
            var thread = new Thread(() => result = work());
            thread.Start();
            thread.Join();
            return result;
        }
        var first = new BlockingCollection<Action>();
        var firstThread = new Thread(() => { foreach (var step in first.GetConsumingEnumerable()) step(); });
        firstThread.Start();
        try
        {
            var firstWritten = new TaskCompletionSource();
            first.Add(() =>
            {
                writer.Enqueue(Value("c1", 1, "a"));
                writer.FlushEnqueuedByThisThreadAsync().GetAwaiter().GetResult();
                firstWritten.SetResult();
            });
            await firstWritten.Task.WaitAsync(TimeSpan.FromSeconds(30));
            OnThread(() => { writer.Enqueue(Value("c2", 1, "b")); return 0; }); // another stream thread's value
            Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(30)), "c2's batch reached Redis and is held there");

            // The first thread's commit barrier: its own value is durable, the other thread's is not, and it returns.
            var own = new TaskCompletionSource<Task>();
            first.Add(() => own.SetResult(writer.FlushEnqueuedByThisThreadAsync()));
            await (await own.Task).WaitAsync(TimeSpan.FromSeconds(30));
            // A thread that enqueued nothing, and the writer-wide flush, wait for every value.
            var fromElsewhere = OnThread(() => writer.FlushEnqueuedByThisThreadAsync());
            var everything = writer.FlushAsync();
            await Task.Delay(300);
            Assert.False(fromElsewhere.IsCompleted, "a thread that enqueued nothing waits for every value");
            Assert.False(everything.IsCompleted, "the writer-wide flush waits for the held value");

            gate.Release.Set();
            await Task.WhenAll(fromElsewhere, everything).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("b", (await Store().ReadAsync("c2"))!.AddOns.Single().Sku);
        }
        finally
        {
            gate.Release.Set();
            first.CompleteAdding();
            firstThread.Join();
        }
    }

    /// <summary>Holds the write of the batch that carries <c>cartId</c> after Redis took it, until released.</summary>
    private sealed class HeldWrite(string cartId) : IRecommendationWriteObserver
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        public void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt)
        {
            if (!batch.Any(v => v.CartId == cartId)) return;
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(60));
        }

        public void Failed(Exception error) { }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now => now;
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class Timeline : IRecommendationWriteObserver
    {
        private readonly object _gate = new();
        private readonly List<(string, string, long)> _events = [];
        private readonly List<DateTimeOffset> _queuedAt = [];
        public IReadOnlyList<(string, string, long)> Events { get { lock (_gate) return _events.ToArray(); } }
        public IReadOnlyList<DateTimeOffset> QueuedAt { get { lock (_gate) return _queuedAt.ToArray(); } }

        public void Enqueued(CartRecommendation value, DateTimeOffset rankedAt)
        {
            lock (_gate)
            {
                _events.Add(("queued", value.CartId, value.Version));
                _queuedAt.Add(rankedAt);
            }
        }

        public void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt)
        {
            lock (_gate) _events.AddRange(batch.Select(v => ("written", v.CartId, v.Version)));
        }

        public void Failed(Exception error) { }
    }

    private sealed class FailureCount : IRecommendationWriteObserver
    {
        public int Failures;
        public void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt) { }
        public void Failed(Exception error) => Interlocked.Increment(ref Failures);
    }

    [Fact]
    public async Task Batch_writes_work_again_after_redis_restarts_and_forgets_the_script()
    {
        var store = Store();
        Assert.Equal(1, await store.WriteManyAsync([Value("c1", 1, "a")])); // the script's hash is now cached
        _redis.Server.Stop();
        _redis.Restart();
        await Task.Delay(200);
        var written = 0;
        for (var attempt = 0; attempt < 50 && written == 0; attempt++)
        {
            try
            {
                written = await store.WriteManyAsync([Value("c1", 2, "b"), Value("c2", 1, "c")]);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                await Task.Delay(200); // still reconnecting
            }
        }
        Assert.Equal(2, written);
        Assert.Equal("b", (await store.ReadAsync("c1"))!.AddOns.Single().Sku);
    }

    public void Dispose() => _redis.Dispose();
}
