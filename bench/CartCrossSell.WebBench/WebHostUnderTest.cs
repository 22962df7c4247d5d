using System.Diagnostics;
using System.Globalization;
using System.Net;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Web;
using Microsoft.AspNetCore.Builder;

/// <summary>The web host the readers call: <c>cartxsell serve</c> in its own process, or <see cref="CrossSellWebHost"/> in this one.</summary>
internal sealed class WebHostUnderTest : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly WebApplication? _app;

    private WebHostUnderTest(Uri address, Process? process, WebApplication? app)
    {
        Address = address;
        _process = process;
        _app = app;
    }

    public Uri Address { get; }

    /// <summary>
    /// Starts <c>dotnet cartxsell.dll serve</c> on a free loopback port and waits for <c>/health/ready</c>;
    /// <paramref name="inlineScheduling"/> sets <c>Web:InlineScheduling</c>.
    /// </summary>
    public static async Task<WebHostUnderTest> StartProcessAsync(string cliPath, string bootstrapServers, string redis, bool inlineScheduling)
    {
        var port = LocalRedisServer.FreeLoopbackPort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cliPath, "serve", "-b", bootstrapServers, "--redis", redis, "-p", port.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(arg);
        psi.Environment["CARTXSELL__Web__Shop"] = "false"; // as in process: the API alone, no catalog to load
        psi.Environment["CARTXSELL__Web__InlineScheduling"] = inlineScheduling ? "true" : "false";
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {cliPath}");
        var output = new List<string>();
        void Keep(string? line)
        {
            if (line is null) return;
            lock (output) output.Add(line);
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"cartxsell serve exited with code {process.ExitCode}:\n{string.Join('\n', output)}");
            try
            {
                using var response = await probe.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return new WebHostUnderTest(address, process, null);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"cartxsell serve was not ready within 120 s:\n{string.Join('\n', output)}");
    }

    /// <summary>Builds and starts <see cref="CrossSellWebHost"/> inside this process (shop off).</summary>
    public static async Task<WebHostUnderTest> StartInProcessAsync(KafkaOptions kafka, RedisStoreOptions redis, bool inlineScheduling)
    {
        var app = CrossSellWebHost.Build(o =>
        {
            o.Kafka = kafka;
            o.Redis = redis;
            o.Web.Port = 0;
            o.Web.Shop = false;
            o.Web.InlineScheduling = inlineScheduling;
        });
        await app.StartAsync();
        return new WebHostUnderTest(CrossSellWebHost.Address(app), null, app);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}
