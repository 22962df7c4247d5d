using System.Net;
using System.Net.Sockets;

namespace CartCrossSell.Redis.Tests;

/// <summary>The redis-server the embedded default and the tests start, and the port it is given.</summary>
public sealed class LocalRedisServerTests
{
    [Fact]
    public void A_server_port_lies_below_the_ephemeral_range_so_no_outgoing_connection_can_hold_it_during_an_outage()
    {
        var range = LocalRedisServer.EphemeralPortRange();
        Assert.True(range is not null, "this machine's kernel does not tell its ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range)");
        for (var i = 0; i < 50; i++)
        {
            var port = LocalRedisServer.FreeLoopbackPort();
            Assert.InRange(port, LocalRedisServer.LowestServerPort, range.Value.Low - 1);
        }
    }

    [Fact]
    public void A_named_port_that_is_taken_fails_with_the_port_in_the_message()
    {
        using var holder = new TcpListener(IPAddress.Loopback, LocalRedisServer.FreeLoopbackPort());
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var error = Assert.ThrowsAny<InvalidOperationException>(() => LocalRedisServer.Start(port));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }
}
