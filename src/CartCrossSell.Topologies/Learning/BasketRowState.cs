using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// The aggregator's state for one row (store <c>basket-rows</c>): the engine's accumulator (decayed weight, pair
/// weights bounded to the strongest K) and, per source partition of <c>order-events</c>, the last order offset
/// applied, so a contribution replayed after a crash of the splitter is recognised and skipped.
/// </summary>
public sealed class BasketRowState(EvidenceAccumulator accumulator, Dictionary<int, long> appliedOrderOffsets)
{
    public EvidenceAccumulator Accumulator { get; } = accumulator;
    public Dictionary<int, long> AppliedOrderOffsets { get; } = appliedOrderOffsets;

    /// <summary>
    /// Applies one order's contribution unless it was applied already; returns whether it was applied. All or nothing:
    /// the contribution is checked whole before anything changes, so one that throws leaves the row as it was.
    /// </summary>
    public bool Apply(int sourcePartition, long sourceOffset, double weight, IReadOnlyList<Neighbor> pairs)
    {
        if (AppliedOrderOffsets.TryGetValue(sourcePartition, out var applied) && sourceOffset <= applied) return false;
        Check(weight, pairs);
        Accumulator.Apply(weight, pairs);
        AppliedOrderOffsets[sourcePartition] = sourceOffset; // last: the offset is taken only by a contribution that applied
        return true;
    }

    /// <summary>
    /// Throws unless a contribution can be applied (a finite, non-negative weight; pairs with keys and such weights):
    /// the aggregator checks every row of a bundle before it changes any.
    /// </summary>
    public static void Check(double weight, IReadOnlyList<Neighbor> pairs)
    {
        if (!double.IsFinite(weight) || weight < 0) throw new ArgumentOutOfRangeException(nameof(weight), weight, "a contribution's weight must be finite and not negative");
        foreach (var pair in pairs)
        {
            if (pair.Key is null) throw new ArgumentException("a pair without a row key", nameof(pairs));
            if (!double.IsFinite(pair.PairWeight) || pair.PairWeight < 0)
                throw new ArgumentOutOfRangeException(nameof(pairs), pair.PairWeight, $"pair '{pair.Key}': weight must be finite and not negative");
        }
    }
}

/// <summary>
/// Changelog form of <see cref="BasketRowState"/>: every pair held (not only the top K), so a restore is exact. Binary
/// (format byte 1, then the key, the weight, the pairs and the applied offsets, little-endian, strings UTF-8 with a
/// 7-bit length): the aggregator writes a row on every contribution it applies, and JSON of a row with hundreds of
/// pairs made that write the learner's bottleneck.
/// </summary>
public sealed class BasketRowCodec(int maxNeighbors) : IValueCodec<BasketRowState>
{
    private const byte Format = 1;

    public Decoded<BasketRowState> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes[0] != Format)
            return Decoded<BasketRowState>.Failure("unparseable", $"row state format {(bytes.Length == 0 ? "missing" : bytes[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}, expected {Format}");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes[1..].ToArray()), System.Text.Encoding.UTF8);
            var key = reader.ReadString();
            var weight = reader.ReadDouble();
            var pairs = new Neighbor[reader.ReadInt32()];
            for (var i = 0; i < pairs.Length; i++) pairs[i] = new Neighbor(reader.ReadString(), reader.ReadDouble());
            var offsets = new Dictionary<int, long>();
            for (var n = reader.ReadInt32(); n > 0; n--) offsets[reader.ReadInt32()] = reader.ReadInt64();
            return Decoded<BasketRowState>.Success(new BasketRowState(EvidenceAccumulator.FromRow(new EvidenceRow(key, weight, pairs), maxNeighbors), offsets));
        }
        catch (IOException e)
        {
            return Decoded<BasketRowState>.Failure("unparseable", "row state is truncated: " + e.Message);
        }
    }

    public byte[] Encode(BasketRowState value)
    {
        using var buffer = new MemoryStream(64 + 24 * value.Accumulator.NeighborCount);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(value.Accumulator.Key);
            writer.Write(value.Accumulator.Weight);
            writer.Write(value.Accumulator.NeighborCount);
            foreach (var pair in value.Accumulator.AllPairs)
            {
                writer.Write(pair.Key);
                writer.Write(pair.PairWeight);
            }
            writer.Write(value.AppliedOrderOffsets.Count);
            foreach (var (partition, offset) in value.AppliedOrderOffsets)
            {
                writer.Write(partition);
                writer.Write(offset);
            }
        }
        return buffer.ToArray();
    }
}

/// <summary>
/// The learner's repartition record (<see cref="BasketRowDelta"/>, one order's contribution to one row) in binary:
/// format byte 1, then the row key, weight, pairs, source partition and offset, and the order time in Unix
/// milliseconds, little-endian, strings UTF-8 with a 7-bit length. Every order line makes two or three of these, and
/// parsing them as JSON was a seventh of the learner's processing. A JSON record (first byte <c>{</c>, as an earlier
/// version wrote them) is still read, so an upgrade with records in flight loses none.
/// </summary>
public sealed class BasketRowDeltaCodec : IValueCodec<BasketRowDelta>
{
    public static readonly BasketRowDeltaCodec Instance = new();

    private const byte Format = 1;

    public Decoded<BasketRowDelta> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[0] == (byte)'{') return ContractCodecs.BasketRowDelta.Decode(bytes);
        if (bytes.Length == 0 || bytes[0] != Format)
            return Decoded<BasketRowDelta>.Failure(DeadLetterKinds.Unparseable, $"row contribution format {(bytes.Length == 0 ? "missing" : bytes[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}, expected {Format}");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes[1..].ToArray()), System.Text.Encoding.UTF8);
            var key = reader.ReadString();
            var weight = reader.ReadDouble();
            var count = reader.ReadInt32();
            if (count < 0 || count > bytes.Length) return Decoded<BasketRowDelta>.Failure(DeadLetterKinds.Unparseable, $"row contribution claims {count} pairs");
            var pairs = new NeighborWeight[count];
            for (var i = 0; i < pairs.Length; i++) pairs[i] = new NeighborWeight(reader.ReadString(), reader.ReadDouble());
            var delta = new BasketRowDelta
            {
                RowKey = key, Weight = weight, Pairs = pairs, SourcePartition = reader.ReadInt32(), SourceOffset = reader.ReadInt64(),
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()),
            };
            return Decoded<BasketRowDelta>.Success(delta);
        }
        catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or FormatException)
        {
            return Decoded<BasketRowDelta>.Failure(DeadLetterKinds.Unparseable, "row contribution is truncated or corrupt: " + e.Message);
        }
    }

    public byte[] Encode(BasketRowDelta value)
    {
        using var buffer = new MemoryStream(64 + 24 * value.Pairs.Count);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(value.RowKey);
            writer.Write(value.Weight);
            writer.Write(value.Pairs.Count);
            foreach (var pair in value.Pairs)
            {
                writer.Write(pair.Key);
                writer.Write(pair.PairWeight);
            }
            writer.Write(value.SourcePartition);
            writer.Write(value.SourceOffset);
            writer.Write(value.Timestamp.ToUnixTimeMilliseconds());
        }
        return buffer.ToArray();
    }
}
