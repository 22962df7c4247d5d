using System.Net;
using CartCrossSell.Contracts;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace CartCrossSell.Topologies.Hosting;

/// <summary>Where the service answers Prometheus and health probes. Bound from the <c>Monitoring</c> section.</summary>
public sealed class MonitoringOptions
{
    public const string SectionName = "Monitoring";

    /// <summary>HTTP port for <c>/metrics</c>, <c>/health/live</c> and <c>/health/ready</c>; 0 turns the endpoint off. Default 9464.</summary>
    public int Port { get; set; } = 9464;

    /// <summary>Host to bind; <c>*</c> for every interface (containers), <c>127.0.0.1</c> for the local machine. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new OptionsValidationException($"{SectionName}:Port must be between 0 and 65535");
    }
}

/// <summary>Redis write latency, errors, stale writes, and event-to-readable freshness as Prometheus metrics.</summary>
public sealed class RedisWriteMetrics : IRecommendationWriteObserver
{
    private readonly Histogram _latency, _freshness;
    private readonly Counter _errors, _values;

    public RedisWriteMetrics(CollectorRegistry registry)
    {
        var f = Metrics.WithCustomRegistry(registry);
        _latency = f.CreateHistogram("cartxsell_redis_write_seconds", "Time of one pipelined batch write to Redis",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _freshness = f.CreateHistogram("cartxsell_event_to_redis_seconds", "From a cart event's timestamp to its value being readable in Redis",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _errors = f.CreateCounter("cartxsell_redis_write_errors_total", "Failed batch writes to Redis (each retried)");
        _values = f.CreateCounter("cartxsell_redis_values_written_total", "Cart values sent to Redis");
    }

    public void Written(IReadOnlyCollection<CartRecommendation> batch, TimeSpan took, DateTimeOffset readableAt)
    {
        _latency.Observe(took.TotalSeconds);
        _values.Inc(batch.Count);
        foreach (var value in batch) _freshness.Observe(Math.Max(0, (readableAt - value.EventTimestamp).TotalSeconds));
    }

    public void Failed(Exception error) => _errors.Inc();
}

/// <summary>
/// A small HTTP endpoint: <c>/metrics</c> (Prometheus text format), <c>/health/live</c> (200 unless a topology failed)
/// and <c>/health/ready</c> (200 once tables caught up and every topology is running; 503 while restoring).
/// </summary>
public sealed class MonitoringEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CollectorRegistry _registry;
    private readonly Func<bool> _live, _ready;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _serving;

    public MonitoringEndpoint(MonitoringOptions options, CollectorRegistry registry, Func<bool> live, Func<bool> ready, ILogger log)
    {
        options.Validate();
        _registry = registry;
        _live = live;
        _ready = ready;
        _log = log;
        Prefix = $"http://{options.Host}:{options.Port}/";
        _listener.Prefixes.Add(Prefix);
    }

    public string Prefix { get; }

    public void Start()
    {
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException e)
            {
                _log.LogWarning("monitoring endpoint: {Error}", e.Message);
                continue;
            }
            try
            {
                await AnswerAsync(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                _log.LogDebug("monitoring endpoint: client went away: {Error}", e.Message);
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        switch (context.Request.Url?.AbsolutePath)
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await _registry.CollectAndExportAsTextAsync(response.OutputStream);
                break;
            case "/health/live":
                await Text(response, _live() ? 200 : 503, _live() ? "live" : "a topology failed");
                break;
            case "/health/ready":
                await Text(response, _ready() ? 200 : 503, _ready() ? "ready" : "restoring or catching up");
                break;
            default:
                await Text(response, 404, "try /metrics, /health/live or /health/ready");
                break;
        }
        response.Close();
    }

    private static async Task Text(HttpListenerResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(body + "\n"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listener.IsListening) _listener.Stop();
        if (_serving is not null) await _serving;
        _listener.Close();
        _stop.Dispose();
    }
}
