using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using CartCrossSell.Contracts;
using StackExchange.Redis;

namespace CartCrossSell.Load;

/// <summary>
/// Watches the cart keys from outside the service, as a storefront would see them: Redis keyspace notifications
/// (<c>notify-keyspace-events E$</c>, one <c>set</c> event per write, also for the SET inside the service's Lua
/// compare-and-set) say which key changed and when; a probe then GETs it.
/// </summary>
public sealed class RedisWatcher : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _keyPrefix;
    private long _writes, _lastWriteTimestamp;
    private FreshnessProbe? _probe;

    private RedisWatcher(ConnectionMultiplexer redis, string keyPrefix)
    {
        _redis = redis;
        _keyPrefix = keyPrefix;
    }

    public IDatabase Database => _redis.GetDatabase();

    /// <summary>Cart values written since the watcher started.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary><see cref="Stopwatch"/> timestamp of the last cart value written; 0 before the first.</summary>
    public long LastWriteTimestamp => Interlocked.Read(ref _lastWriteTimestamp);

    public static async Task<RedisWatcher> StartAsync(int port, string keyPrefix)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,abortConnect=false,syncTimeout=5000,asyncTimeout=5000");
        var watcher = new RedisWatcher(redis, keyPrefix);
        try
        {
            var server = redis.GetServer(redis.GetEndPoints()[0]);
            await server.ConfigSetAsync("notify-keyspace-events", "E$");
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("__keyevent@0__:set"), (_, key) => watcher.OnSet(key!));
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
        return watcher;
    }

    /// <summary>Measures the freshness of every value written from now on until the probe is stopped.</summary>
    public FreshnessProbe StartProbe(DateTimeOffset eventsFrom)
    {
        var probe = new FreshnessProbe(Database, eventsFrom);
        Volatile.Write(ref _probe, probe);
        return probe;
    }

    public async Task StopProbeAsync(FreshnessProbe probe)
    {
        Interlocked.CompareExchange(ref _probe, null, probe);
        await probe.DrainAsync();
    }

    /// <summary>How many carts' values do not yet answer their last event (missing, or an earlier event's value).</summary>
    public async Task<int> CountBehindAsync(IReadOnlyDictionary<string, DateTimeOffset> lastEventAt, CancellationToken ct)
    {
        var db = Database;
        var behind = 0;
        foreach (var chunk in lastEventAt.Chunk(500))
        {
            ct.ThrowIfCancellationRequested();
            var values = await db.StringGetAsync(chunk.Select(c => (RedisKey)(_keyPrefix + c.Key)).ToArray());
            for (var i = 0; i < chunk.Length; i++)
            {
                var value = values[i].IsNull ? null : JsonSerializer.Deserialize((byte[])values[i]!, ContractsJson.Default.CartRecommendation);
                if (value is null || value.EventTimestamp < chunk[i].Value) behind++;
            }
        }
        return behind;
    }

    /// <summary>
    /// What ranked the carts' values: counts by the model version a value names, or by its strategy when none ranked it
    /// with a model (the heuristic's values name no model); missing values count as "(no value)".
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> CountRankedByAsync(IEnumerable<string> cartIds, CancellationToken ct)
    {
        var db = Database;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in cartIds.Chunk(500))
        {
            ct.ThrowIfCancellationRequested();
            var values = await db.StringGetAsync(chunk.Select(c => (RedisKey)(_keyPrefix + c)).ToArray());
            foreach (var raw in values)
            {
                var value = raw.IsNull ? null : JsonSerializer.Deserialize((byte[])raw!, ContractsJson.Default.CartRecommendation);
                var by = value is null ? "(no value)" : value.ModelVersion ?? value.Strategy;
                counts[by] = counts.GetValueOrDefault(by) + 1;
            }
        }
        return counts;
    }

    /// <summary>Redis INFO memory: the server's resident set size in bytes.</summary>
    /// <summary>The redis-server's process id (INFO server), for CPU accounting.</summary>
    public async Task<int> ServerProcessIdAsync()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var info = await server.InfoAsync("server");
        var pid = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "process_id").Value;
        return int.TryParse(pid, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : 0;
    }

    public async Task<long> ServerResidentBytesAsync()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var info = await server.InfoAsync("memory");
        var rss = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "used_memory_rss").Value;
        return long.TryParse(rss, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;
    }

    private void OnSet(string key)
    {
        if (!key.StartsWith(_keyPrefix, StringComparison.Ordinal)) return;
        Interlocked.Increment(ref _writes);
        Interlocked.Exchange(ref _lastWriteTimestamp, Stopwatch.GetTimestamp());
        Volatile.Read(ref _probe)?.Observe(key);
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}

/// <summary>
/// Freshness as the storefront sees it: on each write notification, GET the key, and take the time the GET
/// returned minus the value's <c>eventTimestamp</c> (stamped by the storefront producer when it published the event).
/// So it includes the producer's linger, the broker, the recommender's poll, processing and commit interval, the
/// Redis write, the notification and one GET round trip. Each (cart, version) is counted once; values of events
/// published before the phase began are left out.
/// </summary>
public sealed class FreshnessProbe(IDatabase db, DateTimeOffset eventsFrom)
{
    private readonly ConcurrentDictionary<string, long> _measured = new(StringComparer.Ordinal);
    private readonly LatencyHistogram _latency = new();
    private int _inFlight;
    private long _notified;

    public LatencyHistogram Latency => _latency;
    public long Notified => Interlocked.Read(ref _notified);

    internal void Observe(string key)
    {
        Interlocked.Increment(ref _notified);
        Interlocked.Increment(ref _inFlight);
        _ = MeasureAsync(key);
    }

    private async Task MeasureAsync(string key)
    {
        try
        {
            var raw = await db.StringGetAsync(key);
            var readAt = DateTimeOffset.UtcNow;
            if (raw.IsNull) return;
            var value = JsonSerializer.Deserialize((byte[])raw!, ContractsJson.Default.CartRecommendation);
            if (value is null || value.EventTimestamp < eventsFrom) return;
            // A later write may already have replaced the value: count each version once, at its first read.
            var first = true;
            _measured.AddOrUpdate(value.CartId, value.Version, (_, seen) =>
            {
                first = value.Version > seen;
                return Math.Max(seen, value.Version);
            });
            if (first) _latency.Record(readAt - value.EventTimestamp);
        }
        catch (RedisException)
        {
            // a lost probe is a missing sample, reported as the sample count
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Waits for GETs still in flight.</summary>
    public async Task DrainAsync()
    {
        for (var i = 0; i < 100 && Volatile.Read(ref _inFlight) > 0; i++) await Task.Delay(20);
    }
}
