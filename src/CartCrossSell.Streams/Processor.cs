namespace CartCrossSell.Streams;

/// <summary>Where a record came from: the coordinates a dead letter and an idempotent store need.</summary>
public readonly record struct RecordCoordinates(string Topic, int Partition, long Offset, DateTimeOffset Timestamp);

/// <summary>An input record, immutable, with its decoded value.</summary>
public sealed record InputRecord<T>(RecordCoordinates Coordinates, string? Key, T Value)
{
    public DateTimeOffset Timestamp => Coordinates.Timestamp;
}

/// <summary>
/// One named processing step, as small as Kafka Streams' processor: init, process one record, close. Processing is
/// synchronous and in memory; outputs, effects and state changes are flushed by the layer before offsets commit.
/// One instance serves one input partition.
/// </summary>
public interface IProcessor<T>
{
    void Init(IProcessorContext context) { }

    void Process(InputRecord<T> record);

    /// <summary>
    /// Called before the layer commits this partition's progress: send what was buffered (for example each changed
    /// row once per commit instead of once per input record).
    /// </summary>
    void Flush() { }

    void Close() { }
}

/// <summary>What a processor may do besides computing: read and write its stores, send records, dead-letter input.</summary>
public interface IProcessorContext
{
    string ApplicationId { get; }
    string TopologyName { get; }
    int Partition { get; }

    /// <summary>The record being processed.</summary>
    RecordCoordinates Current { get; }

    TimeProvider Clock { get; }

    IKeyValueStore<TValue> GetStore<TValue>(string name) where TValue : class;

    /// <summary>Sends a record to a topic. Delivered before the input offset commits.</summary>
    void Send(string topic, string key, byte[] value, DateTimeOffset timestamp);

    /// <summary>Sends the current input record to <c>dead-letters</c> with a kind and reason; processing continues.</summary>
    void DeadLetter(string kind, string reason);
}
