using System.Text.Json;
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

/// <summary>Changelog form of <see cref="BasketRowState"/>: every pair held (not only the top K), so a restore is exact.</summary>
public sealed record BasketRowSnapshot(string RowKey, double Weight, Dictionary<string, double> Pairs, Dictionary<int, long> AppliedOrderOffsets);

public sealed class BasketRowCodec(int maxNeighbors) : IValueCodec<BasketRowState>
{
    public Decoded<BasketRowState> Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var s = JsonSerializer.Deserialize(bytes, TopologiesJson.Default.BasketRowSnapshot);
            if (s is null) return Decoded<BasketRowState>.Failure("unparseable", "null row");
            var row = new EvidenceRow(s.RowKey, s.Weight, s.Pairs.Select(p => new Neighbor(p.Key, p.Value)).ToArray());
            return Decoded<BasketRowState>.Success(new BasketRowState(EvidenceAccumulator.FromRow(row, maxNeighbors), s.AppliedOrderOffsets));
        }
        catch (JsonException e)
        {
            return Decoded<BasketRowState>.Failure("unparseable", e.Message);
        }
    }

    public byte[] Encode(BasketRowState value) => JsonSerializer.SerializeToUtf8Bytes(
        new BasketRowSnapshot(value.Accumulator.Key, value.Accumulator.Weight,
            value.Accumulator.AllPairs.ToDictionary(p => p.Key, p => p.PairWeight, StringComparer.Ordinal), value.AppliedOrderOffsets),
        TopologiesJson.Default.BasketRowSnapshot);
}
