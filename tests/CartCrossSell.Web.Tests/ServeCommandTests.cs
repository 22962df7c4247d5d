using System.Net;
using System.Net.Sockets;
using CartCrossSell.Cli;
using CartCrossSell.TestInfrastructure;

namespace CartCrossSell.Web.Tests;

/// <summary><c>cartxsell serve</c> on the command line: help, and configuration errors in one line naming the key (exit 2).</summary>
public sealed class ServeCommandTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApplication.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Serve_is_a_sub_command_with_help_naming_its_options()
    {
        var (code, output, _) = await Run("serve", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--embedded", output);
        Assert.Contains("--port", output);
        Assert.Contains("--sessions", output);
    }

    [Theory]
    [InlineData(new[] { "serve" }, "Kafka:BootstrapServers is required")]
    [InlineData(new[] { "serve", "-b", "127.0.0.1:9092" }, "Redis:Configuration is required")]
    [InlineData(new[] { "serve", "-b", "127.0.0.1:9092", "--redis", "127.0.0.1:1", "--port", "70000" }, "Web:Port must be between 0 and 65535")]
    [InlineData(new[] { "serve", "-b", "not-an-address", "--redis", "127.0.0.1:1" }, "Kafka:BootstrapServers entry 'not-an-address' is not host:port")]
    [InlineData(new[] { "serve", "--embedded", "--port", "70000" }, "Web:Port must be between 0 and 65535")]
    [InlineData(new[] { "serve", "--embedded", "--host", "shop.example" }, "Web:Host 'shop.example' must be *, localhost or an IP address")]
    public async Task A_configuration_error_stops_serve_before_it_listens_with_one_line_naming_the_key(string[] args, string expected)
    {
        var (code, output, error) = await Run(args);

        Assert.Equal(2, code);
        Assert.StartsWith("configuration error: ", error);
        Assert.Contains(expected, error);
        // The embedded shop checks its web settings before it starts the broker, Redis, the backfill and the learning.
        Assert.DoesNotContain("embedded Kafka", output);
    }

    [Fact]
    public async Task A_port_already_taken_is_one_line_and_exit_2_not_a_stack_trace()
    {
        using var kafka = new KafkaFixture();
        using var redis = new RedisFixture();
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (code, _, error) = await Run("serve", "-b", kafka.Options.BootstrapServers, "--redis", redis.Server.Configuration, "--port", port);

            Assert.Equal(2, code);
            Assert.StartsWith("cannot listen: ", error);
            Assert.Contains(port, error);
        }
        finally
        {
            taken.Stop();
        }
    }
}
