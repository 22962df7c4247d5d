using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Web;
using Microsoft.AspNetCore.Builder;
using StackExchange.Redis;

namespace CartCrossSell.Web.Tests;

/// <summary>
/// The web host on a free loopback port over a fresh embedded Kafka (mock cluster) and a real redis-server: the
/// same host <c>cartxsell serve</c> runs, with no topology (tests write values into Redis and read what was published).
/// </summary>
public sealed class WebHostFixture : IAsyncLifetime
{
    public KafkaFixture Kafka { get; } = new();
    public RedisFixture Redis { get; } = new();
    public WebApplication Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public RecommendationStore Store { get; private set; } = null!;
    public EventPublisher Publisher { get; private set; } = null!;

    public RedisStoreOptions RedisOptions => new() { Configuration = Redis.Server.Configuration };

    /// <summary>Web:AllowedOrigins of the host.</summary>
    public List<string> AllowedOrigins { get; init; } = [];

    /// <summary>Web:InlineScheduling of the host.</summary>
    public bool InlineScheduling { get; init; }

    /// <summary>Runs before the host starts (publish a catalog the shop should see, say).</summary>
    public Func<WebHostFixture, Task>? BeforeStart { get; init; }

    public async Task InitializeAsync()
    {
        Store = new RecommendationStore(Redis.Connection, RedisOptions);
        Publisher = new EventPublisher(Kafka.Options);
        if (BeforeStart is not null) await BeforeStart(this);
        Host = CrossSellWebHost.Build(o =>
        {
            o.Kafka = Kafka.Options;
            o.Redis = RedisOptions;
            o.Web.Port = 0;
            o.Web.MaxRequestBytes = 4096;
            o.Web.AllowedOrigins = AllowedOrigins;
            o.Web.InlineScheduling = InlineScheduling;
        });
        await Host.StartAsync();
        Http = new HttpClient { BaseAddress = CrossSellWebHost.Address(Host) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.StopAsync();
        await Host.DisposeAsync();
        Publisher.Dispose();
        Redis.Dispose();
        Kafka.Dispose();
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")));

    /// <summary>Asks <paramref name="path"/> every 200 ms until it answers <paramref name="expected"/> (or 30 s pass); returns the last status.</summary>
    public async Task<HttpStatusCode> StatusWhenAsync(string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await Http.GetAsync(path);
            if (response.StatusCode == expected || DateTime.UtcNow > deadline) return response.StatusCode;
            await Task.Delay(200);
        }
    }

    public async Task<string> RawValueAsync(string cartId) => (await Redis.Connection.GetDatabase().StringGetAsync(Store.KeyOf(cartId))).ToString();
}
