using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// Stream time from the broker's record timestamp; a record without a valid one (negative: an old producer or a
/// hostile one) takes its partition's stream time, or the wall clock before the first record. Streamiz's default
/// extractor throws on such a record, which stopped the stream thread on every restart: one record could stop the partition.
/// </summary>
public sealed class InputTimestamps : ITimestampExtractor
{
    public long Extract(ConsumeResult<object, object> record, long partitionTime)
    {
        var timestamp = record.Message.Timestamp.UnixTimestampMs;
        if (timestamp >= 0) return timestamp;
        return partitionTime >= 0 ? partitionTime : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }
}
