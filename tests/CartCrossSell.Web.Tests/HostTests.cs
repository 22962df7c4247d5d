using System.Net;
using System.Net.Http.Headers;
using CartCrossSell.Web.Api;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CartCrossSell.Web.Tests;

/// <summary>The widget file, and what the host answers while Redis is down.</summary>
public sealed class HostTests(WebHostFixture web) : IClassFixture<WebHostFixture>
{
    [Fact]
    public async Task The_widget_is_one_javascript_file_under_10_kb_defining_the_element_and_revalidated_by_etag()
    {
        using var response = await web.Http.GetAsync(WidgetAssets.WidgetPath);
        var script = await response.Content.ReadAsStringAsync();
        using var again = new HttpRequestMessage(HttpMethod.Get, WidgetAssets.WidgetPath);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await web.Http.SendAsync(again);

        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Content.Headers.ContentLength < 10 * 1024, $"the widget is {response.Content.Headers.ContentLength} bytes");
        Assert.Contains("customElements.define('cart-cross-sell'", script);
        Assert.DoesNotContain("import ", script);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task While_redis_is_down_the_add_ons_endpoint_answers_503_and_recovers_when_it_is_back()
    {
        await web.Store.WriteAsync(Values.Treatment("cart-outage", 3, "22328"));
        web.Redis.Server.Stop();
        try
        {
            using var down = await web.Http.GetAsync("/v1/carts/cart-outage/add-ons");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.NotNull(down.Headers.RetryAfter);
            // Which backend, not the client's diagnostics (addresses, versions, thread pools): those go to the log.
            var body = await down.Content.ReadAsStringAsync();
            Assert.Contains("Redis is not answering", body);
            Assert.DoesNotContain(web.Redis.Server.Configuration, body);
        }
        finally
        {
            web.Redis.Restart();
        }
        // The restarted server is empty: the cart has no value now, and the host says so instead of failing.
        Assert.Equal(HttpStatusCode.NotFound, await web.StatusWhenAsync("/v1/carts/cart-outage/add-ons", HttpStatusCode.NotFound));
    }

    [Fact]
    public void By_default_kestrel_queues_each_request_to_the_thread_pool()
    {
        // Inline scheduling is an operator's choice (Web:InlineScheduling): a blocking endpoint would stall its I/O thread.
        Assert.False(web.Host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_naming_the_key()
    {
        var options = new WebServiceOptions { Kafka = web.Kafka.Options, Redis = web.RedisOptions, Web = new WebOptions { Port = 70000 } };
        Assert.Contains("Web:Port", Assert.Throws<Streams.OptionsValidationException>(options.Validate).Message);
        options = new WebServiceOptions { Kafka = web.Kafka.Options, Redis = new Redis.RedisStoreOptions { Configuration = "" } };
        Assert.Contains("Redis:Configuration", Assert.Throws<Streams.OptionsValidationException>(options.Validate).Message);
        options = new WebServiceOptions { Redis = web.RedisOptions };
        Assert.Contains("Kafka:BootstrapServers", Assert.Throws<Streams.OptionsValidationException>(options.Validate).Message);
    }
}

/// <summary>A host with Web:InlineScheduling: Kestrel runs its requests on the socket's I/O thread, and answers as the default.</summary>
public sealed class InlineSchedulingFixture : IAsyncLifetime
{
    public WebHostFixture Web { get; } = new() { InlineScheduling = true };
    public Task InitializeAsync() => Web.InitializeAsync();
    public Task DisposeAsync() => Web.DisposeAsync();
}

public sealed class InlineSchedulingTests(InlineSchedulingFixture inline) : IClassFixture<InlineSchedulingFixture>
{
    [Fact]
    public async Task The_setting_reaches_kestrels_socket_transport_and_the_add_ons_read_answers_as_on_the_default_host()
    {
        var transport = inline.Web.Host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        await inline.Web.Store.WriteAsync(Values.Treatment("cart-inline", 7, "22328"));
        using var read = await inline.Web.Http.GetAsync("/v1/carts/cart-inline/add-ons");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/v1/carts/cart-inline/add-ons");
        again.Headers.IfNoneMatch.Add(read.Headers.ETag!);
        using var revalidated = await inline.Web.Http.SendAsync(again);

        Assert.True(transport.UnsafePreferInlineScheduling);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("\"7\"", read.Headers.ETag!.Tag);
        Assert.Equal(await inline.Web.RawValueAsync("cart-inline"), await read.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }
}

/// <summary>The widget on a storefront's own origin: CORS for the origins listed in Web:AllowedOrigins, and only those.</summary>
public sealed class CorsFixture : IAsyncLifetime
{
    public WebHostFixture Web { get; } = new() { AllowedOrigins = ["https://shop.example.com"] };
    public Task InitializeAsync() => Web.InitializeAsync();
    public Task DisposeAsync() => Web.DisposeAsync();
}

public sealed class CorsTests(CorsFixture cors) : IClassFixture<CorsFixture>
{
    [Fact]
    public async Task A_listed_storefront_origin_may_post_from_the_browser_and_read_the_etag_and_another_origin_may_not()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/carts/c-1/items");
        preflight.Headers.Add("Origin", "https://shop.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var allowed = await cors.Web.Http.SendAsync(preflight);
        await cors.Web.Store.WriteAsync(Values.Treatment("c-cors", 5, "22328"));
        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/carts/c-cors/add-ons");
        get.Headers.Add("Origin", "https://shop.example.com");
        using var read = await cors.Web.Http.SendAsync(get);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/v1/carts/c-cors/add-ons");
        other.Headers.Add("Origin", "https://elsewhere.example.com");
        using var refused = await cors.Web.Http.SendAsync(other);

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://shop.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", allowed.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("https://shop.example.com", read.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("ETag", read.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void An_allowed_origin_that_is_not_an_origin_is_refused_naming_the_key()
    {
        var options = new WebOptions { AllowedOrigins = ["https://shop.example.com/cart"] };
        Assert.Contains("Web:AllowedOrigins", Assert.Throws<Streams.OptionsValidationException>(options.Validate).Message);
    }
}

/// <summary>The probes a supervisor asks.</summary>
public sealed class HealthTests(WebHostFixture web) : IClassFixture<WebHostFixture>
{
    [Fact]
    public async Task Live_answers_at_once_and_ready_once_redis_is_connected_and_the_topics_are_loaded_and_not_while_redis_is_down()
    {
        using var live = await web.Http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await web.StatusWhenAsync("/health/ready", HttpStatusCode.OK));

        web.Redis.Server.Stop();
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await web.StatusWhenAsync("/health/ready", HttpStatusCode.ServiceUnavailable));
            // The 503 says what readiness waits for.
            using var ready = await web.Http.GetAsync("/health/ready");
            Assert.StartsWith("Unhealthy: ", await ready.Content.ReadAsStringAsync());
            Assert.Contains("redis", await ready.Content.ReadAsStringAsync());
        }
        finally
        {
            web.Redis.Restart();
        }
    }
}

/// <summary>The host over a Kafka cluster that cannot be reached: the publishing endpoints answer 503 instead of hanging.</summary>
public sealed class KafkaDownTests : IAsyncLifetime
{
    private readonly TestInfrastructure.RedisFixture _redis = new();
    private Microsoft.AspNetCore.Builder.WebApplication _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = CrossSellWebHost.Build(o =>
        {
            o.Kafka = new Streams.KafkaOptions { BootstrapServers = "127.0.0.1:1" };   // nothing listens on port 1
            o.Redis = new Redis.RedisStoreOptions { Configuration = _redis.Server.Configuration };
            o.Web.Port = 0;
            o.Web.Shop = false;
        });
        await _host.StartAsync();
        _http = new HttpClient { BaseAddress = CrossSellWebHost.Address(_host), Timeout = TimeSpan.FromSeconds(30) };   // librdkafka's own 5 minutes, or the 60 s of a command, would time the request out
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.StopAsync();
        await _host.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task An_impression_while_kafka_is_down_is_a_503_with_retry_after_once_the_delivery_times_out()
    {
        // librdkafka's default would hold the request for five minutes; the host's delivery timeout answers first.
        using var response = await _http.PostAsync("/v1/impressions", new StringContent(
            """{"cartId":"c1","sessionId":"s","valueVersion":1,"skus":["22328"],"modelVersion":"basket-aware"}""",
            System.Text.Encoding.UTF8, new MediaTypeHeaderValue("application/json")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("Kafka is not answering", await response.Content.ReadAsStringAsync());
    }
}
