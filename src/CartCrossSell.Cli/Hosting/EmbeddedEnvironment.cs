using CartCrossSell.Redis;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli.Hosting;

/// <summary>
/// The embedded default: librdkafka's mock cluster in this process and a local <c>redis-server</c> on a free
/// loopback port. Real protocols, nothing to install but redis-server.
/// </summary>
public sealed class EmbeddedEnvironment : IDisposable
{
    private EmbeddedEnvironment(EmbeddedKafkaCluster kafka, LocalRedisServer? redis)
    {
        Kafka = kafka;
        Redis = redis;
    }

    public EmbeddedKafkaCluster Kafka { get; }
    public LocalRedisServer? Redis { get; }

    /// <summary>Starts the mock cluster, and a redis-server unless <paramref name="startRedis"/> is false.</summary>
    public static EmbeddedEnvironment Start(bool startRedis = true)
    {
        var kafka = EmbeddedKafkaCluster.Start();
        try
        {
            return new EmbeddedEnvironment(kafka, startRedis ? LocalRedisServer.Start() : null);
        }
        catch
        {
            kafka.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Redis?.Dispose();
        Kafka.Dispose();
    }
}
