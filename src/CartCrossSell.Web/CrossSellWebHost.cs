using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Web.Api;
using CartCrossSell.Web.Dashboard;
using CartCrossSell.Web.Shop;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CartCrossSell.Web;

/// <summary>
/// <c>cartxsell serve</c>: Kestrel on <c>Web:Host</c>:<c>Web:Port</c> serving the storefront API (<see cref="CrossSellApi"/>),
/// the widget (<c>/widget/cart-cross-sell.js</c>), the demo shop (<c>/shop</c>) and the analyst dashboard
/// (<c>/experiments/{id}</c>). Topology-free: it reads Redis, publishes events, and replicates <c>aov-aggregates</c>
/// (and <c>catalog</c> for the shop) in memory. Options are bound by the caller and validated when the host starts.
/// </summary>
public static class CrossSellWebHost
{
    public static WebApplication Build(Action<WebServiceOptions> bind, Action<ILoggingBuilder>? logging = null)
    {
        // Kestrel's address is needed before the host exists; the same binding is validated again at start.
        var early = new WebServiceOptions();
        bind(early);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        early.Web.Validate();
        builder.WebHost.UseKestrelCore()
            .UseUrls(ListenAddress.Url(early.Web.Host, early.Web.Port))
            .ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(1024, early.Web.MaxRequestBytes))
            .UseSockets(sockets => sockets.UnsafePreferInlineScheduling = early.Web.InlineScheduling);
        builder.Services.AddRoutingCore();
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            // The widget on a storefront's own origin calls /v1 here; only the origins the operator listed may.
            if (early.Web.AllowedOrigins.Contains("*")) policy.AllowAnyOrigin();
            else policy.WithOrigins([.. early.Web.AllowedOrigins]);
            policy.WithMethods("GET", "POST").WithHeaders("Content-Type", "If-None-Match").WithExposedHeaders("ETag").SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.ClearProviders();

        var services = builder.Services;
        services.AddSingleton<IValidateOptions<WebServiceOptions>>(new OptionsValidation<WebServiceOptions>(o => o.Validate()));
        services.AddOptions<WebServiceOptions>().Configure(bind).ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WebServiceOptions>>().Value);
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            // A Redis that is down at start must not stop the host: reads answer 503 until it is back.
            var redis = ConfigurationOptions.Parse(sp.GetRequiredService<WebServiceOptions>().Redis.Configuration);
            redis.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(redis);
        });
        services.AddSingleton(sp => new RecommendationStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<WebServiceOptions>().Redis));
        services.AddSingleton(sp => new EventPublisher(sp.GetRequiredService<WebServiceOptions>().Kafka, lingerMs: 1, deliveryTimeout: WebDeliveryTimeout));
        services.AddSingleton<CartEventGateway>();
        services.AddSingleton<ExperimentFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ExperimentFeed>());
        if (early.Web.Shop)
        {
            services.AddSingleton<ShopCatalog>();
            services.AddHostedService(sp => sp.GetRequiredService<ShopCatalog>());
            services.AddSingleton<ShopCarts>();
        }
        services.AddHostedService<BackendWarmUp>();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);

        var app = builder.Build();
        app.Use(UnavailableBackendsAsync);
        app.UseRouting();
        app.UseCors();
        CrossSellApi.Map(app);
        WidgetAssets.Map(app);
        ExperimentDashboard.Map(app);
        if (early.Web.Shop) ShopEndpoints.Map(app);
        app.MapGet("/", context => DashboardPages.Index(context, early.Web.Shop));
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
        return app;
    }

    /// <summary>The address Kestrel listens on once started (the port chosen when <c>Web:Port</c> is 0).</summary>
    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// How long the one-click add and an impression wait for Kafka's acknowledgement before they answer 503: a storefront
    /// request must not hang for the producer's default of a minute while the cluster is down.
    /// </summary>
    internal static readonly TimeSpan WebDeliveryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Kafka or Redis not answering is the server's problem, not the request's: 503 with which backend, never a crash.
    /// The client's diagnostics (addresses, versions, thread pools) go to the log, not to the caller.
    /// </summary>
    private static async Task UnavailableBackendsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is RedisException or KafkaException or TimeoutException && !context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CartCrossSell.Web").LogWarning("{Path}: backend unavailable: {Reason}", context.Request.Path, e.Message);
            context.Response.Headers.RetryAfter = "1";
            var which = e switch
            {
                RedisException => "Redis is not answering",
                KafkaException => "Kafka is not answering: the event was not stored",
                _ => "a backend did not answer in time",
            };
            await RequestReading.Refuse(StatusCodes.Status503ServiceUnavailable, "backend unavailable", which).ExecuteAsync(context);
        }
    }
}

/// <summary>Connects Redis and Kafka's producer as the host starts, so a first request does not pay for it.</summary>
internal sealed class BackendWarmUp(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<RecommendationStore>();
        services.GetRequiredService<CartEventGateway>();
        // The shop's carts follow every cart event this host publishes, the widget's first add included.
        services.GetService<ShopCarts>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Ready once Redis is connected and the replicated topics (aov-aggregates, and the catalog when the shop is served)
/// hold what was in them at start; live (<c>/health/live</c>) as long as the process answers.
/// </summary>
internal sealed class ReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var waiting = new List<string>();
        if (!services.GetRequiredService<IConnectionMultiplexer>().IsConnected) waiting.Add("redis not connected");
        if (!services.GetRequiredService<ExperimentFeed>().Table.IsCaughtUp) waiting.Add("aov-aggregates loading");
        if (services.GetService<ShopCatalog>() is { } catalog && !catalog.Table.IsCaughtUp) waiting.Add("catalog loading");
        return Task.FromResult(waiting.Count == 0 ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Unhealthy(string.Join(", ", waiting)));
    }
}
