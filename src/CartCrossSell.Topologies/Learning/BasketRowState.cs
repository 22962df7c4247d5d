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

    /// <summary>Applies one order's contribution unless it was applied already; returns whether it was applied.</summary>
    public bool Apply(int sourcePartition, long sourceOffset, double weight, IEnumerable<Neighbor> pairs)
    {
        if (AppliedOrderOffsets.TryGetValue(sourcePartition, out var applied) && sourceOffset <= applied) return false;
        AppliedOrderOffsets[sourcePartition] = sourceOffset;
        Accumulator.Apply(weight, pairs);
        return true;
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
        catch (EndOfStreamException e)
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
