using System.Diagnostics;
using System.Globalization;
using CartCrossSell.Contracts;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Web;
using HdrHistogram;
using StackExchange.Redis;

// The storefront's read four ways in one run, same carts, same 50 concurrent readers, alternated round by round:
//   redis:  RecommendationStore.ReadStoredAsync (one GET on a shared multiplexer), what a storefront that reaches Redis does;
//   http:   GET /v1/carts/{cartId}/add-ons on the web host (Kestrel, loopback), which does that same read, through HttpClient;
//   raw:    the same GET from a load tool's thin client (RawHttpReader: one keep-alive connection per reader, the
//           response read to its Content-Length), so the endpoint is measured without HttpClient's own CPU on the two
//           cores the host runs on;
//   inline: the thin client's GET on a second host, the same but for Web:InlineScheduling (requests run on the socket's
//           I/O thread), so the setting is judged in the same minutes as the default rather than in another run.
// Bounded: a fixed number of reads per reader after a warm-up; everything on loopback.
var C = CultureInfo.InvariantCulture;
if (WebBenchOptions.AsksForHelp(args))
{
    Console.WriteLine(WebBenchOptions.Usage());
    return 0;
}
// Every flag is checked before anything starts; the message goes to stderr (make bench-web keeps stdout as the results).
if (WebBenchOptions.Parse(args, out var usageError) is not { } options)
{
    await Console.Error.WriteLineAsync($"{usageError} (--help lists the options)");
    return 2;
}
var (readers, perReader, carts, rounds, rates) = (options.Readers, options.Reads, options.Carts, options.Rounds, options.Rates);

using var kafka = EmbeddedKafkaCluster.Start();
using var redisServer = LocalRedisServer.Start();
using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.Configuration);
var storeOptions = new RedisStoreOptions { Configuration = redisServer.Configuration };
var store = new RecommendationStore(redis, storeOptions);
var at = DateTimeOffset.UtcNow;
for (var i = 0; i < carts; i++)
{
    var cart = $"bench-{i}";
    await store.WriteAsync(new CartRecommendation
    {
        CartId = cart, Version = 1000 + i, ExperimentId = "bench", CartValue = 42.5m, Strategy = "basket-aware", GeneratedAt = at, EventTimestamp = at,
        AddOns = Enumerable.Range(0, 3).Select(k => new RecommendedAddOn
        {
            Sku = $"2232{k}", VariantId = $"2232{k}", Title = "ROUND SNACK BOXES SET OF 4 FRUITS", Price = 2.95m, Score = 0.41,
            Reason = "often bought with round snack boxes set of4 woodland, plasters in tin circus parade and 1 more in your cart", VariantReason = "only variant",
            AddToCart = new OneClickAdd { CartId = cart, Sku = $"2232{k}", VariantId = $"2232{k}" },
        }).ToList(),
    });
}
var valueBytes = (await store.ReadStoredAsync("bench-0"))!.Length;

// Where the host runs: inside this process (the default, as every figure before: readers and Kestrel share one thread
// pool), or in its own (`--host process`: `cartxsell serve` as deployed, its own thread pool and GC; the two cores,
// redis-server and the loopback are still shared with the readers).
var hostMode = options.Host;
Task<WebHostUnderTest> StartHostAsync(bool inlineScheduling) => hostMode == "process"
    ? WebHostUnderTest.StartProcessAsync(Path.Combine(AppContext.BaseDirectory, "cartxsell.dll"), kafka.BootstrapServers, redisServer.Configuration, inlineScheduling)
    : WebHostUnderTest.StartInProcessAsync(kafka.ToOptions(), storeOptions, inlineScheduling);
await using var host = await StartHostAsync(inlineScheduling: false);
await using var inlineHost = await StartHostAsync(inlineScheduling: true);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = readers, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    BaseAddress = host.Address,
};

var raw = new RawHttpReader[readers];
var rawInline = new RawHttpReader[readers];
for (var r = 0; r < readers; r++)
{
    raw[r] = await RawHttpReader.ConnectAsync(host.Address);
    rawInline[r] = await RawHttpReader.ConnectAsync(inlineHost.Address);
}

async Task<LongHistogram> RunAsync(Func<int, string, Task> read, int reads, int rate = 0)
{
    var interval = rate > 0 ? TimeSpan.FromSeconds((double)readers / rate) : TimeSpan.Zero;
    var histogram = new LongHistogram(1, 60_000_000, 3);
    var gate = new Lock();
    await Task.WhenAll(Enumerable.Range(0, readers).Select(r => Task.Run(async () =>
    {
        var mine = new LongHistogram(1, 60_000_000, 3);
        var random = new Random(r);
        var begin = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * r / readers);
        for (var n = 0; n < reads; n++)
        {
            if (rate > 0)
            {
                var due = begin + (long)(n * interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
            }
            var started = Stopwatch.GetTimestamp();
            await read(r, $"bench-{random.Next(carts)}");
            mine.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
        }
        lock (gate) histogram.Add(mine);
    })));
    return histogram;
}

Task ReadRedis(int reader, string cart) => store.ReadStoredAsync(cart);

async Task ReadHttp(int reader, string cart)
{
    using var response = await http.GetAsync($"/v1/carts/{cart}/add-ons", HttpCompletionOption.ResponseContentRead);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {cart}: {(int)response.StatusCode}");
}

async Task ReadThin(RawHttpReader reader, string cart)
{
    var status = await reader.GetAddOnsAsync(cart);
    if (status != 200) throw new InvalidOperationException($"GET {cart} (thin client): {status}");
}

var reads = new (string, Func<int, string, Task>)[]
{
    ("redis GET (direct)", ReadRedis),
    ("HTTP GET /v1/carts/{id}/add-ons", ReadHttp),
    ("HTTP GET, thin client", (r, cart) => ReadThin(raw[r], cart)),
    ("HTTP GET, thin client, Web:InlineScheduling", (r, cart) => ReadThin(rawInline[r], cart)),
};
foreach (var (_, read) in reads) await RunAsync(read, 200);
string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
Console.WriteLine(string.Create(C, $"{readers} concurrent readers x {perReader} reads, {carts} carts, value {valueBytes} bytes, {Environment.ProcessorCount} cores, {rounds} rounds alternating, web hosts (default, and Web:InlineScheduling) {(hostMode == "process" ? "each in its own process (cartxsell serve)" : "in the readers' process")}; load average before: {LoadAverage()}"));
Console.WriteLine("| round | paced at | read | reads/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
foreach (var rate in rates)
for (var round = 1; round <= rounds; round++)
{
    foreach (var (name, read) in reads)
    {
        var clock = Stopwatch.StartNew();
        var h = await RunAsync(read, perReader, rate);
        var achieved = h.TotalCount / clock.Elapsed.TotalSeconds;
        double Ms(double p) => h.GetValueAtPercentile(p) / 1000.0;
        Console.WriteLine(string.Create(C, $"| {round} | {(rate > 0 ? rate.ToString("0/s", C) : "closed loop")} | {name} | {achieved:0} | {Ms(50):0.000} | {Ms(90):0.000} | {Ms(99):0.000} | {Ms(99.9):0.000} | {h.GetMaxValue() / 1000.0:0.000} |"));
    }
}
Console.WriteLine($"load average after: {LoadAverage()} (the client, Kestrel and redis-server share these cores)");
foreach (var reader in raw.Concat(rawInline)) await reader.DisposeAsync();
return 0;
