using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Outcomes;
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
/// as hosted services (its shared part, then one per topology group), the host's logging, health checks (<c>/health/live</c>, <c>/health/ready</c>) and prometheus-net's
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
        services.AddSingleton<ServiceFailure>();
        // The instance's shared part first (the host starts its services in registration order and stops them in
        // reverse), then one hosted service per topology group: a group starts, stops and fails on its own, and the
        // shared part (Redis connection, merchandising rules, metrics registry) outlives every group's last commit.
        services.AddHostedService<SharedPartHostedService>();
        // AddSingleton, not AddHostedService: that adds a hosted service type once (TryAddEnumerable), so every group
        // after the first would be dropped.
        foreach (var group in Groups(configuration, topologies))
            services.AddSingleton<IHostedService>(sp => new TopologyGroupHostedService(group, sp.GetRequiredService<CrossSellService>(), sp.GetRequiredService<ServiceFailure>(),
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<TopologyGroupHostedService>>()));
    }

    /// <summary>
    /// The topology groups the host runs, one hosted service each: known when the host is built, from the selection
    /// (<c>--topologies</c>, else the default) and whether an experiment runs (<c>Experiment:Enabled</c>). Every option,
    /// these included, is still validated at start (an unknown group name fails there, naming it).
    /// </summary>
    internal static IReadOnlyList<string> Groups(IConfiguration configuration, IReadOnlyList<string>? topologies)
    {
        var selection = new CrossSellServiceOptions { Experiment = ServiceConfiguration.Section<ExperimentOptions>(configuration, ExperimentOptions.SectionName) };
        if (topologies is { Count: > 0 }) selection.Topologies = topologies;
        return CrossSellService.GroupsOf(selection);
    }

    /// <summary>Starts the host, waits for SIGTERM/Ctrl+C (<paramref name="cancellationToken"/>) or a failure, stops it; 1 when a topology failed.</summary>
    public static async Task<int> RunAsync(IHost host, TextWriter output, CancellationToken cancellationToken)
    {
        await host.StartAsync(cancellationToken);
        var service = host.Services.GetRequiredService<CrossSellService>();
        var failure = host.Services.GetRequiredService<ServiceFailure>();
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
        if (failure.What is { } what) await output.WriteLineAsync($"stopped because {what} failed (exit code 1: restart the process)");
        return failure.Failed ? 1 : 0;
    }
}

/// <summary>What stopped the process by itself, if anything: the exit code says it to the supervisor (1: restart it).</summary>
internal sealed class ServiceFailure
{
    private volatile string? _what;

    /// <summary>True when a topology group or the shared part failed: the process should exit non-zero so its supervisor restarts it.</summary>
    public bool Failed => _what is not null;

    /// <summary>The first part that failed (a group's name, or "the shared part"), null while none has.</summary>
    public string? What => _what;

    public void Record(string what) => Interlocked.CompareExchange(ref _what, what, null);
}

/// <summary>
/// The instance's shared part in the host (<see cref="CrossSellService.StartSharedAsync"/>): registered first, so it
/// starts before every topology group and stops after them, disposing the service (the Redis writer and connection).
/// The merchandising rules' reader stopping by itself stops the host with exit code 1, as a group does.
/// </summary>
internal sealed class SharedPartHostedService(CrossSellService service, ServiceFailure failure, IHostApplicationLifetime lifetime,
    ILogger<SharedPartHostedService> log) : IHostedService
{
    private volatile bool _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await service.StartSharedAsync(cancellationToken);
        // Watched once the host has started (HostedFailure.WatchAfterStart).
        HostedFailure.WatchAfterStart(lifetime, () => service.SharedCompletion, () => _stopping, e =>
        {
            failure.Record("the shared part");
            log.LogCritical(e, "the merchandising rules' reader stopped by itself; stopping the process so it is restarted");
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await service.DisposeAsync();
    }
}

/// <summary>
/// One topology group in the host (<see cref="CrossSellService.StartGroupAsync"/>): its own Streamiz application and
/// consumer group, started after the groups registered before it and stopped before them. A group that stops by
/// itself (a stream thread died) stops the host, naming the group, and the process exits 1 so its supervisor
/// restarts it.
/// </summary>
internal sealed class TopologyGroupHostedService(string group, CrossSellService service, ServiceFailure failure, IHostApplicationLifetime lifetime,
    ILogger<TopologyGroupHostedService> log) : IHostedService
{
    private volatile bool _stopping;

    /// <summary>The topology group this service runs.</summary>
    public string Group => group;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await service.StartGroupAsync(group, cancellationToken);
        log.LogInformation("{Group}: started in {Seconds:0.0} s (its replicated tables loaded)", group, started.Elapsed.TotalSeconds);
        var application = service.Application(group)!;
        HostedFailure.WatchAfterStart(lifetime, () => application.Completion, () => _stopping, e =>
        {
            failure.Record(group);
            log.LogCritical(e, "{Group}: the topology group stopped by itself; stopping the process so it is restarted", group);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping) return; // stopped already (alone, before the host stops)
        _stopping = true;
        if (service.Application(group) is not { } application) return; // never started (the host's start failed before it)
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var failed = application.Completion.IsFaulted;
        await service.StopGroupAsync(group);
        // A group that failed did not commit on its way out: its next start processes again from its last commit.
        if (failed) log.LogWarning("{Group}: closed in {Seconds:0.0} s after its failure", group, stopping.Elapsed.TotalSeconds);
        else log.LogInformation("{Group}: stopped in {Seconds:0.0} s (committed, stores flushed)", group, stopping.Elapsed.TotalSeconds);
    }
}

/// <summary>How a hosted part of the service watches for its own failure.</summary>
internal static class HostedFailure
{
    /// <summary>
    /// Once the host has started, watches <paramref name="completion"/>: a failure (a faulted task) while the part is not
    /// stopping is reported and stops the host, so the process exits 1. Not before the host has started: stopping the
    /// host then cancels the start token of the groups still starting, which Streamiz answers by closing every stream,
    /// and each group would be reported as failed; a failure during the start is seen once the start completes. Not a
    /// completion without a failure: disposing a service whose start failed completes its tasks.
    /// </summary>
    public static void WatchAfterStart(IHostApplicationLifetime lifetime, Func<Task> completion, Func<bool> stopping, Action<Exception?> report) =>
        lifetime.ApplicationStarted.Register(() => completion().ContinueWith(t =>
        {
            if (stopping() || !t.IsFaulted) return;
            report(t.Exception?.GetBaseException());
            lifetime.StopApplication();
        }, TaskScheduler.Default));
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
