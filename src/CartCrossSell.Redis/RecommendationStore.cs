using System.Text.Json;
using CartCrossSell.Contracts;
using StackExchange.Redis;

namespace CartCrossSell.Redis;

/// <summary>
/// Cart recommendations in Redis: one string key per cart holding the JSON value the storefront renders, with a TTL.
/// A write carries the value's version and goes through a Lua compare-and-set, so a later cart event never loses
/// to an earlier one, whatever order writes arrive in (replays, retries, two instances during a rebalance).
/// </summary>
public sealed class RecommendationStore
{
    // Replaces the value only when the stored version is lower (an equal version is a replay: keep it).
    // The version is read from the stored JSON; values are small (a few hundred bytes), so cjson costs microseconds.
    private const string CompareAndSetScript = """
        local current = redis.call('GET', KEYS[1])
        if current then
          local ok, decoded = pcall(cjson.decode, current)
          if ok and type(decoded) == 'table' and decoded['version'] and tonumber(decoded['version']) >= tonumber(ARGV[2]) then
            return 0
          end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        return 1
        """;

    private readonly IDatabase _db;
    private readonly RedisStoreOptions _options;
    private readonly LuaScript _script = LuaScript.Prepare(CompareAndSetScript);
    private byte[]? _scriptSha;

    public RecommendationStore(IConnectionMultiplexer redis, RedisStoreOptions options)
    {
        options.Validate();
        _db = redis.GetDatabase();
        _options = options;
    }

    public RedisStoreOptions Options => _options;

    public string KeyOf(string cartId) => _options.KeyPrefix + cartId;

    /// <summary>Writes one value; returns false when a newer or equal version was already stored.</summary>
    public async Task<bool> WriteAsync(CartRecommendation value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sha = await ScriptShaAsync().WaitAsync(_options.WriteTimeout, cancellationToken);
        return await WriteOne(_db, sha, value).WaitAsync(_options.WriteTimeout, cancellationToken);
    }

    /// <summary>Writes many values in one pipelined round trip; returns how many replaced an older value.</summary>
    public async Task<int> WriteManyAsync(IReadOnlyCollection<CartRecommendation> values, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (values.Count == 0) return 0;
        var sha = await ScriptShaAsync().WaitAsync(_options.WriteTimeout, cancellationToken);
        var batch = _db.CreateBatch();
        var writes = values.Select(v => WriteOne(batch, sha, v)).ToArray();
        batch.Execute();
        // Bounded: a TimeoutException here is retried by the writer with a fresh batch.
        var results = await Task.WhenAll(writes).WaitAsync(_options.WriteTimeout, cancellationToken);
        return results.Count(r => r);
    }

    public async Task<CartRecommendation?> ReadAsync(string cartId, CancellationToken cancellationToken = default)
    {
        var raw = await ReadStoredAsync(cartId, cancellationToken);
        return raw is null ? null : JsonSerializer.Deserialize(raw, ContractsJson.Default.CartRecommendation);
    }

    /// <summary>The cart's value exactly as stored (UTF-8 JSON), or null when the cart has none: what the web host serves.</summary>
    public async Task<byte[]?> ReadStoredAsync(string cartId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var raw = await _db.StringGetAsync(KeyOf(cartId));
        return raw.IsNull ? null : (byte[])raw!;
    }

    /// <summary>
    /// Reads the cart's key until its value answers a cart event at or after <paramref name="eventTime"/> or
    /// <paramref name="timeout"/> passes: what a cart page that waits briefly for its own change sees. Returns the
    /// last value read and whether it answers that event.
    /// </summary>
    public async Task<(CartRecommendation? Value, bool Answers)> ReadAnsweringAsync(
        string cartId, DateTimeOffset eventTime, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellationToken = default)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var value = await ReadAsync(cartId, cancellationToken);
            if (value is not null && value.EventTimestamp >= eventTime) return (value, true);
            if (waited.Elapsed >= timeout) return (value, false);
            await Task.Delay(pollInterval, cancellationToken);
        }
    }

    public async Task<TimeSpan?> TimeToLiveAsync(string cartId) => await _db.KeyTimeToLiveAsync(KeyOf(cartId));

    private async Task<bool> WriteOne(IDatabaseAsync db, byte[] sha, CartRecommendation value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, ContractsJson.Default.CartRecommendation);
        RedisKey[] keys = [KeyOf(value.CartId)];
        RedisValue[] args = [json, value.Version, (long)_options.Ttl.TotalMilliseconds];
        RedisResult result;
        try
        {
            result = await db.ScriptEvaluateAsync(sha, keys, args);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The server restarted and forgot the script: send its source (which caches it again) on the database,
            // not on the batch, which was already sent; the next batch loads the script afresh.
            _scriptSha = null;
            result = await _db.ScriptEvaluateAsync(_script.ExecutableScript, keys, args);
        }
        return (long)result == 1;
    }

    private async Task<byte[]> ScriptShaAsync()
    {
        if (_scriptSha is not null) return _scriptSha;
        var endpoint = _db.Multiplexer.GetEndPoints()[0];
        var loaded = await _script.LoadAsync(_db.Multiplexer.GetServer(endpoint));
        return _scriptSha = loaded.Hash;
    }
}
