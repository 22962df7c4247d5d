using CartCrossSell.Topologies.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace CartCrossSell.Cli.Hosting;

/// <summary>
/// <c>cartxsell run</c> on the .NET Generic Host: the service's options bound from the layered configuration and
/// validated when the host starts (<c>ValidateOnStart</c>; the message names the key), <see cref="CrossSellService"/>
/// as a hosted service, the host's logging, health checks (<c>/health/live</c>, <c>/health/ready</c>) and prometheus-net's
/// ASP.NET Core exporter (<c>/metrics</c>) on Kestrel at <c>Monitoring:Host</c>:<c>Monitoring:Port</c>; with port 0 a
/// plain host without HTTP. SIGTERM stops the host, which closes every topology cleanly (Streamiz commits, flushes
/// and writes its RocksDB checkpoints) within <see cref="ShutdownTimeout"/>.
/// </summary>
public static class ServiceHost
{
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    public static IHost Build(IConfiguration configuration, IReadOnlyList<string>? topologies)
    {
        // Read before the host exists (whether to serve HTTP, and where): bound and validated as every section is.
        var monitoring = ServiceConfiguration.Section<MonitoringOptions>(configuration, MonitoringOptions.SectionName);
        monitoring.Validate();
        if (monitoring.Port == 0)
        {
            var plain = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            Compose(plain.Services, plain.Logging, configuration, topologies);
            return plain.Build();
        }
        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        web.WebHost.UseKestrelCore().UseUrls(Streams.ListenAddress.Url(monitoring.Host, monitoring.Port));
        web.Services.AddRoutingCore();
        Compose(web.Services, web.Logging, configuration, topologies);
        web.Services.AddHealthChecks()
            .AddCheck<LivenessCheck>("live", tags: ["live"])
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        var app = web.Build();
        app.UseRouting();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live"), ResponseWriter = Web.HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = Web.HealthResponse.WriteAsync });
        // One registry per service instance (no global metrics): the exporter serves that registry.
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CrossSellService>().Metrics);
        return app;
    }

    /// <summary>The hosts' console logging (<c>run</c> and <c>serve</c>): one line per event, UTC timestamps, framework noise filtered.</summary>
    public static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders().SetMinimumLevel(LogLevel.Information).AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A start that fails (a configuration error found by ValidateOnStart) is reported by the command in one line.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // An unready instance is normal while it starts or restores; probes ask every few seconds, the log need not say it each time.
        logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
    }

    private static void Compose(IServiceCollection services, ILoggingBuilder logging, IConfiguration configuration, IReadOnlyList<string>? topologies)
    {
        ConfigureLogging(logging);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        services.AddSingleton<IValidateOptions<CrossSellServiceOptions>>(new Streams.OptionsValidation<CrossSellServiceOptions>(o => o.Validate()));
        services.AddOptions<CrossSellServiceOptions>()
            .Configure(o =>
            {
                ServiceConfiguration.BindInto(configuration, o);
                if (topologies is { Count: > 0 }) o.Topologies = topologies;
            })
            .ValidateOnStart();
        services.AddSingleton(sp => new CrossSellService(sp.GetRequiredService<IOptions<CrossSellServiceOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<CrossSellHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<CrossSellHostedService>());
    }

    /// <summary>Starts the host, waits for SIGTERM/Ctrl+C (<paramref name="cancellationToken"/>) or a failure, stops it; 1 when a topology failed.</summary>
    public static async Task<int> RunAsync(IHost host, TextWriter output, CancellationToken cancellationToken)
    {
        await host.StartAsync(cancellationToken);
        var service = host.Services.GetRequiredService<CrossSellService>();
        var hosted = host.Services.GetRequiredService<CrossSellHostedService>();
        var urls = (host as WebApplication)?.Urls;
        if (urls is { Count: > 0 }) await output.WriteLineAsync($"metrics and health: {string.Join(", ", urls.Select(u => u.TrimEnd('/') + "/metrics"))}, /health/live, /health/ready");
        await output.WriteLineAsync($"running: {string.Join(", ", service.RunningNames)} (Ctrl+C to stop)");
        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken).Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM, Ctrl+C, or a failed topology asked the host to stop
        }
        await host.StopAsync(CancellationToken.None);
        return hosted.Failed ? 1 : 0;
    }
}

/// <summary>Runs <see cref="CrossSellService"/> in the host; a topology that stops by itself stops the host with exit code 1.</summary>
internal sealed class CrossSellHostedService(CrossSellService service, IHostApplicationLifetime lifetime, ILogger<CrossSellHostedService> log) : IHostedService
{
    private volatile bool _stopping;

    /// <summary>True when a topology failed (a stream thread died): the process should exit non-zero so its supervisor restarts it.</summary>
    public bool Failed { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await service.StartAsync(cancellationToken);
        _ = service.Completion.ContinueWith(t =>
        {
            if (_stopping) return;
            Failed = true;
            log.LogCritical(t.Exception?.GetBaseException(), "a topology stopped by itself; stopping the process so it is restarted");
            lifetime.StopApplication();
        }, TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await service.DisposeAsync();
    }
}

internal sealed class LivenessCheck(CrossSellService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(service.IsLive ? HealthCheckResult.Healthy("live") : HealthCheckResult.Unhealthy("a topology failed"));
}

/// <summary>Ready once every selected topology group runs (Streamiz says RUNNING and every active task has restored its stores: StreamApplication.IsRunning) and the tables caught up.</summary>
internal sealed class ReadinessCheck(CrossSellService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(service.NotReadyBecause is { } waiting ? HealthCheckResult.Unhealthy(waiting) : HealthCheckResult.Healthy("ready"));
}
