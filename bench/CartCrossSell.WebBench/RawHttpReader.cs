using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// One reader's keep-alive HTTP/1.1 connection, as thin as a load tool's (wrk, h2load): the request is fixed bytes but
/// for the cart id, the response is read to its <c>Content-Length</c>, nothing is parsed beyond the status and that
/// header. It measures the endpoint where <see cref="HttpClient"/> (pooling, header objects, content streams) costs
/// about as much CPU per request as the host on a two-core machine that runs both: the storefront's own client is
/// its choice, the endpoint's latency is the host's.
/// </summary>
public sealed class RawHttpReader : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _request = new byte[512];
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly string _host;

    private RawHttpReader(Socket socket, string host)
    {
        _socket = socket;
        _host = host;
    }

    public static async Task<RawHttpReader> ConnectAsync(Uri address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(address.Host), address.Port));
        return new RawHttpReader(socket, $"{address.Host}:{address.Port}");
    }

    /// <summary>GET /v1/carts/{cart}/add-ons; the status code, after the whole body has arrived.</summary>
    public async Task<int> GetAddOnsAsync(string cart)
    {
        var length = Encoding.ASCII.GetBytes($"GET /v1/carts/{cart}/add-ons HTTP/1.1\r\nHost: {_host}\r\n\r\n", _request);
        for (var sent = 0; sent < length;)
            sent += await _socket.SendAsync(_request.AsMemory(sent, length - sent), SocketFlags.None);
        var filled = 0;
        var headerEnd = -1;
        while (headerEnd < 0)
        {
            filled += await ReceiveAsync(filled);
            headerEnd = _buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }
        var headers = _buffer.AsSpan(0, headerEnd);
        // "HTTP/1.1 200 OK": the status is the three digits after the first space.
        if (!Utf8Parser.TryParse(headers[(headers.IndexOf((byte)' ') + 1)..], out int status, out _))
            throw new InvalidDataException("no status in the response");
        var body = ContentLength(headers);
        var total = headerEnd + 4 + body;
        if (total > _buffer.Length) throw new InvalidDataException($"a response of {total} bytes is larger than the reader's buffer");
        while (filled < total) filled += await ReceiveAsync(filled);
        if (filled != total) throw new InvalidDataException("more bytes than the response: the reader sends one request at a time");
        return status;
    }

    private async Task<int> ReceiveAsync(int filled)
    {
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
        return n > 0 ? n : throw new IOException("the web host closed the connection");
    }

    private static int ContentLength(ReadOnlySpan<byte> headers)
    {
        const string name = "\r\ncontent-length:";
        for (var at = 0; at < headers.Length;)
        {
            var next = headers[at..].IndexOf("\r\n"u8);
            if (next < 0) break;
            var line = headers[(at + next)..];
            if (line.Length > name.Length && Ascii.EqualsIgnoreCase(line[..name.Length], name))
            {
                var end = line[2..].IndexOf("\r\n"u8);
                var value = (end < 0 ? line[name.Length..] : line[name.Length..(end + 2)]).Trim((byte)' ');
                return Utf8Parser.TryParse(value, out int n, out _) ? n : throw new InvalidDataException("a bad Content-Length");
            }
            at += next + 2;
        }
        return 0;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
