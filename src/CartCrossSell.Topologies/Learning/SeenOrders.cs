using System.Globalization;
using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// Where an order id was first seen (store <c>order-ids</c>, keyed by order id): the record that is the order. The same
/// id at other coordinates is a duplicate (a backfill run twice, a storefront retrying) and is not learned again; the
/// same coordinates are a replay after a crash and are split again (the aggregator skips what it already counted).
/// </summary>
public sealed record SeenOrder(int Partition, long Offset, DateTimeOffset SeenAt)
{
    public bool IsRecord(RecordCoordinates coordinates) => coordinates.Partition == Partition && coordinates.Offset == Offset;
}

/// <summary><c>{partition} {offset} {seenAt unix ms}</c>, UTF-8: three numbers per remembered order.</summary>
public sealed class SeenOrderCodec : IValueCodec<SeenOrder>
{
    public Decoded<SeenOrder> Decode(ReadOnlySpan<byte> bytes)
    {
        var parts = Encoding.UTF8.GetString(bytes).Split(' ');
        if (parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var partition)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset)
            && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seenAt))
            return Decoded<SeenOrder>.Success(new SeenOrder(partition, offset, DateTimeOffset.FromUnixTimeMilliseconds(seenAt)));
        return Decoded<SeenOrder>.Failure(DeadLetterKinds.Unparseable, "seen order is not 'partition offset seenAt'");
    }

    public byte[] Encode(SeenOrder value) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{value.Partition} {value.Offset} {value.SeenAt.ToUnixTimeMilliseconds()}"));
}
