using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Stream;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// A record on its way out of a processor, with the topic it goes to: an output, a repartition topic, or
/// <c>dead-letters</c>. Every topology ends in one sink that reads the topic from the record, so a dead letter is
/// produced by the same producer, and flushed by the same commit, as the outputs of the record that caused it.
/// </summary>
public sealed record Routed(string Topic, string Key, byte[] Value, DateTimeOffset Timestamp);

/// <summary>Writes a <see cref="Routed"/> record's bytes; routed records are never read back as such.</summary>
public sealed class RoutedSerDes : AbstractSerDes<Routed>
{
    public override byte[] Serialize(Routed data, SerializationContext context) => data.Value;

    public override Routed Deserialize(byte[] data, SerializationContext context) =>
        throw new NotSupportedException("routed records are only written");
}

public static class RoutedStreams
{
    /// <summary>Ends a stream of routed records in the one sink that sends each to its own topic, with its own timestamp.</summary>
    public static void ToRoutedTopics(this IKStream<string, Routed> stream, string named) =>
        stream.To((_, value, _) => value.Topic, new StringSerDes(), new RoutedSerDes(),
            (_, value, _) => value.Timestamp.ToUnixTimeMilliseconds(), named);
}
