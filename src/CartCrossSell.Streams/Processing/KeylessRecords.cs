using CartCrossSell.Contracts;
using Streamiz.Kafka.Net.Stream;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// Records without a key on a topic whose processor keeps state. Streamiz skips a keyless record before a stateful
/// transformer sees it (a warning in its log, nothing counted), so that processor's own key check never runs for it:
/// a cart event or an order sent without its key would vanish. <see cref="DeadLetterKeyless"/> splits them off the
/// source to this stateless processor, which dead-letters each as <c>key-mismatch</c> with its coordinates, as the
/// key check would, and counts it.
/// </summary>
public sealed class KeylessRecords(ProcessorRuntime runtime, string keyedBy) : RecordProcessor<byte[]>(runtime, Raw.Instance)
{
    protected override void Process(InputRecord<byte[]> record) =>
        DeadLetter(DeadLetterKinds.KeyMismatch, $"the record key is missing: {Current.Topic} is keyed by the event's {keyedBy}");

    /// <summary>
    /// The records of <paramref name="source"/> that have a key; those without one go to dead letters through
    /// <see cref="KeylessRecords"/>, named <paramref name="named"/> (its sink <paramref name="named"/>-sink).
    /// </summary>
    public static IKStream<string, byte[]> DeadLetterKeyless(IKStream<string, byte[]> source, ProcessorRuntime runtime, string keyedBy, string named)
    {
        source.Filter((key, _, _) => key is null, named + "-filter")
            .Transform(Processors.Supplier(() => new KeylessRecords(runtime, keyedBy)), named)
            .ToRoutedTopics(named + "-sink");
        return source.Filter((key, _, _) => key is not null, named + "-keyed");
    }

    /// <summary>The value as it came: a keyless record is refused for its key, whatever its value.</summary>
    private sealed class Raw : IValueCodec<byte[]>
    {
        public static readonly Raw Instance = new();
        public Decoded<byte[]> Decode(ReadOnlySpan<byte> bytes) => Decoded<byte[]>.Success(bytes.ToArray());
        public byte[] Encode(byte[] value) => value;
    }
}
