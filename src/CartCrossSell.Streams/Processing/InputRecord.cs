namespace CartCrossSell.Streams;

/// <summary>Where a record came from: the coordinates a dead letter and an idempotent store need.</summary>
public readonly record struct RecordCoordinates(string Topic, int Partition, long Offset, DateTimeOffset Timestamp);

/// <summary>An input record, immutable, with its decoded value.</summary>
public sealed record InputRecord<T>(RecordCoordinates Coordinates, string? Key, T Value)
{
    public DateTimeOffset Timestamp => Coordinates.Timestamp;
}
