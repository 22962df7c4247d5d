using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CartCrossSell.Load;

/// <summary>
/// One storefront connection to Redis speaking the RESP protocol directly (GET only): one request at a time, as a
/// page render does, with no client-library pipelining or multiplexing between the measured readers.
/// </summary>
public sealed class RespGetConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private RespGetConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RespGetConnection> ConnectAsync(int port, CancellationToken ct)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        return new RespGetConnection(client);
    }

    /// <summary>GETs a key; returns the value's length in bytes, or -1 when the key does not exist.</summary>
    public async Task<int> GetAsync(string key, CancellationToken ct)
    {
        var keyBytes = Encoding.UTF8.GetByteCount(key);
        var request = Encoding.UTF8.GetBytes($"*2\r\n$3\r\nGET\r\n${keyBytes.ToString(CultureInfo.InvariantCulture)}\r\n{key}\r\n");
        await _stream.WriteAsync(request, ct);
        var header = await ReadLineAsync(ct);
        if (header.Length == 0 || header[0] != '$') throw new InvalidDataException($"unexpected reply to GET: {header}");
        var length = int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture);
        if (length < 0) return -1;
        await SkipAsync(length + 2, ct); // the value and its CRLF
        return length;
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var cr = span.IndexOf((byte)'\r');
            if (cr >= 0 && cr + 1 < span.Length)
            {
                var line = Encoding.ASCII.GetString(span[..cr]);
                _start += cr + 2;
                return line;
            }
            await FillAsync(ct);
        }
    }

    private async Task SkipAsync(int count, CancellationToken ct)
    {
        while (count > 0)
        {
            if (_start == _end) await FillAsync(ct);
            var take = Math.Min(count, _end - _start);
            _start += take;
            count -= take;
        }
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start == _end) _start = _end = 0;
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0) throw new IOException("Redis closed the connection");
        _end += read;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}

/// <summary>What the storefront readers saw.</summary>
public sealed record ReadReport(LatencyHistogram Latency, long Reads, long Misses, double MeanPayloadBytes, TimeSpan Duration, int Readers, int TargetRate)
{
    public double ReadsPerSecond => Reads / Math.Max(Duration.TotalSeconds, 1e-9);
}

/// <summary>
/// Storefront reads while the pipeline runs: <c>readers</c> connections, each GETting the key of a random cart that
/// has a value. Paced (aggregate <c>rate</c> GETs per second, each reader on its own schedule) or, with rate 0, each
/// reader sends its next GET as soon as the last returned. The latency is from sending the GET to having the whole
/// value (client-side, so it includes this process's scheduling on a busy machine).
/// </summary>
public sealed class StorefrontReaders(int port, IReadOnlyList<string> keys, int readers, int rate, int seed)
{
    public async Task<ReadReport> RunAsync(CancellationToken stop)
    {
        var histograms = Enumerable.Range(0, readers).Select(_ => new LatencyHistogram()).ToArray();
        var reads = new long[readers];
        var misses = new long[readers];
        var bytes = new long[readers];
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, readers).Select(i => Task.Run(() => ReadLoopAsync(i, histograms[i], reads, misses, bytes, stop))));
        var duration = started.Elapsed;
        var all = new LatencyHistogram();
        foreach (var h in histograms) all.Add(h);
        long total = reads.Sum(), missed = misses.Sum();
        var mean = total - missed > 0 ? (double)bytes.Sum() / (total - missed) : 0;
        return new ReadReport(all, total, missed, mean, duration, readers, rate);
    }

    private async Task ReadLoopAsync(int reader, LatencyHistogram histogram, long[] reads, long[] misses, long[] bytes, CancellationToken stop)
    {
        var random = new Random(seed + reader);
        using var connection = await RespGetConnection.ConnectAsync(port, CancellationToken.None);
        // Each reader's share of the aggregate rate, started at a random phase so the readers do not fire together.
        var interval = rate > 0 ? TimeSpan.FromSeconds((double)readers / rate) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var next = interval * random.NextDouble();
        while (!stop.IsCancellationRequested)
        {
            if (interval > TimeSpan.Zero)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                next += interval;
            }
            var key = keys[random.Next(keys.Count)];
            var sent = Stopwatch.GetTimestamp();
            var length = await connection.GetAsync(key, CancellationToken.None);
            histogram.Record(Stopwatch.GetElapsedTime(sent));
            reads[reader]++;
            if (length < 0) misses[reader]++;
            else bytes[reader] += length;
        }
    }
}
