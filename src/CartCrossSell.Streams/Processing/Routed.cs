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
    /// <remarks>
    /// Without a stream partitioner: the producer's own (murmur2 of the key, Streamiz's default producer setting) picks
    /// the partition, which is what Streamiz's default stream partitioner ends up doing too (it answers "any partition"
    /// unless told to keep the source partition), but that one first asks the producer for the topic's partition count,
    /// and Streamiz 1.8.2 builds a whole admin configuration for every such question: a tenth of the learner's
    /// processing time went there.
    /// </remarks>
    public static void ToRoutedTopics(this IKStream<string, Routed> stream, string named) =>
        stream.To(new TopicOfRecord(), new StringSerDes(), new RoutedSerDes(), new TimestampOfRecord(), partitioner: null, named);

    private sealed class TopicOfRecord : ITopicNameExtractor<string, Routed>
    {
        public string Extract(string key, Routed value, IRecordContext recordContext) => value.Topic;
    }

    private sealed class TimestampOfRecord : IRecordTimestampExtractor<string, Routed>
    {
        public long Extract(string key, Routed value, IRecordContext recordContext) => value.Timestamp.ToUnixTimeMilliseconds();
    }
}
