using System.Buffers.Binary;
using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;

namespace CartCrossSell.Topologies.Learning;

/// <summary>
/// The learner's repartition record: one order's contributions to the rows that one partition of the repartition
/// topic owns, with the order's source coordinates (the aggregator's per-row idempotence needs nothing else).
/// </summary>
/// <remarks>
/// Why bundles rather than one record per row, as Kafka Streams' <c>groupBy</c> would send: an order of twenty lines
/// touches about seventy rows, and the per-record cost of producing, brokering and consuming seventy records was most
/// of the learner's time (the splitter spent 0.83 ms per order, the aggregator 9 µs per record). The rows of a bundle
/// are the ones <see cref="KeyPartitioning"/> assigns to the same partition, and the bundle is keyed by its first row,
/// so the producer's own partitioner sends it exactly where one record per row would have gone: the partitioning, and
/// so the ownership of each row, is unchanged.
/// </remarks>
public sealed record BasketRowBundle(int SourcePartition, long SourceOffset, DateTimeOffset Timestamp, IReadOnlyList<RowContribution> Rows)
{
    /// <summary>
    /// The order's contributions grouped by the partition that owns each row, in the order the splitter made them,
    /// each group cut into bundles whose encoding stays within <paramref name="maxBytes"/> (the aggregator refuses a
    /// record above <c>Streams:MaxRecordBytes</c>, 64 KiB by default: an order of a few hundred items has tens of
    /// thousands of pairs). A single row larger than that is a bundle of its own, as it was a record of its own before
    /// bundles. Pure: the caller says how rows map to partitions.
    /// </summary>
    public static IReadOnlyList<BasketRowBundle> ByPartition(IReadOnlyList<RowContribution> contributions, Func<string, int> partitionOf,
        int maxBytes, int sourcePartition, long sourceOffset, DateTimeOffset timestamp)
    {
        var groups = new SortedDictionary<int, List<(List<RowContribution> Rows, int Bytes)>>();
        foreach (var row in contributions)
        {
            var partition = partitionOf(row.RowKey);
            var size = BasketRowBundleCodec.MaxBytesOf(row);
            if (!groups.TryGetValue(partition, out var bundles)) groups[partition] = bundles = [([], BasketRowBundleCodec.HeaderBytes)];
            var (rows, bytes) = bundles[^1];
            if (rows.Count > 0 && bytes + size > maxBytes) bundles.Add((rows, bytes) = ([], BasketRowBundleCodec.HeaderBytes));
            rows.Add(row);
            bundles[^1] = (rows, bytes + size);
        }
        return groups.Values.SelectMany(b => b).Select(b => new BasketRowBundle(sourcePartition, sourceOffset, timestamp, b.Rows)).ToArray();
    }

    /// <summary>The key a bundle is sent under: its first row, which routes it to the partition that owns all its rows.</summary>
    public string RoutingKey => Rows[0].RowKey;
}

/// <summary>
/// <see cref="BasketRowBundle"/> in binary: format byte 2; the source partition, offset and the order time in Unix
/// milliseconds; a table of the distinct strings (row and pair keys: an item of a twenty-line order is named in some
/// twenty rows); then the rows, each its key's index, weight and pairs (index, weight). Little-endian, counts and
/// indexes 7-bit encoded, strings UTF-8 with a 7-bit length. One row's record of the earlier versions (format 1, or
/// JSON) is read as a bundle of that one row, so an upgrade with records in flight loses none.
/// </summary>
public sealed class BasketRowBundleCodec : IValueCodec<BasketRowBundle>
{
    public static readonly BasketRowBundleCodec Instance = new();

    /// <summary>Format byte, source partition, offset, time, and the two counts at their largest.</summary>
    internal const int HeaderBytes = 1 + 4 + 8 + 8 + 5 + 5;

    /// <summary>
    /// The most one row can add to an encoded bundle: every key as if it were new to the string table (length and
    /// bytes) plus its index, and the weights. The string table only makes the real size smaller.
    /// </summary>
    internal static int MaxBytesOf(RowContribution row)
    {
        var bytes = 5 + 5 + Encoding.UTF8.GetByteCount(row.RowKey) + 8 + 5;
        foreach (var pair in row.Pairs) bytes += 5 + 5 + Encoding.UTF8.GetByteCount(pair.Key) + 8;
        return bytes;
    }

    private const byte Format = 2;

    public Decoded<BasketRowBundle> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[0] != Format) return FromSingleRow(BasketRowDeltaCodec.Instance.Decode(bytes));
        if (bytes.Length == 0) return Decoded<BasketRowBundle>.Failure(DeadLetterKinds.Unparseable, $"row bundle format missing, expected {Format}");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes[1..].ToArray()), System.Text.Encoding.UTF8);
            var sourcePartition = reader.ReadInt32();
            var sourceOffset = reader.ReadInt64();
            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            var strings = new string[Count(reader, bytes.Length, "strings")];
            for (var i = 0; i < strings.Length; i++) strings[i] = reader.ReadString();
            var rows = new RowContribution[Count(reader, bytes.Length, "rows")];
            for (var i = 0; i < rows.Length; i++)
            {
                var key = String(reader, strings);
                var weight = reader.ReadDouble();
                var pairs = new Neighbor[Count(reader, bytes.Length, "pairs")];
                for (var j = 0; j < pairs.Length; j++) pairs[j] = new Neighbor(String(reader, strings), reader.ReadDouble());
                rows[i] = new RowContribution(key, weight, pairs);
            }
            if (rows.Length == 0) return Decoded<BasketRowBundle>.Failure(DeadLetterKinds.Unparseable, "row bundle has no rows");
            return Decoded<BasketRowBundle>.Success(new BasketRowBundle(sourcePartition, sourceOffset, timestamp, rows));
        }
        catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or FormatException or InvalidDataException)
        {
            return Decoded<BasketRowBundle>.Failure(DeadLetterKinds.Unparseable, "row bundle is truncated or corrupt: " + e.Message);
        }
    }

    public byte[] Encode(BasketRowBundle value)
    {
        // Sized exactly, then written in place: encoding was a seventh of the learner's time through a stream writer.
        var index = t_index ??= new Dictionary<string, int>(StringComparer.Ordinal);
        var strings = t_strings ??= [];
        index.Clear();
        strings.Clear();
        var size = 1 + 4 + 8 + 8 + VarIntSize(value.Rows.Count);
        foreach (var row in value.Rows)
        {
            size += VarIntSize(Intern(row.RowKey)) + 8 + VarIntSize(row.Pairs.Count);
            foreach (var pair in row.Pairs) size += VarIntSize(Intern(pair.Key)) + 8;
        }
        size += VarIntSize(strings.Count);
        foreach (var (_, bytes) in strings) size += VarIntSize(bytes) + bytes;

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        span[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], value.SourcePartition);
        BinaryPrimitives.WriteInt64LittleEndian(span[5..], value.SourceOffset);
        BinaryPrimitives.WriteInt64LittleEndian(span[13..], value.Timestamp.ToUnixTimeMilliseconds());
        var at = 21;
        at += WriteVarInt(span[at..], strings.Count);
        foreach (var (text, bytes) in strings)
        {
            at += WriteVarInt(span[at..], bytes);
            at += Encoding.UTF8.GetBytes(text, span[at..]);
        }
        at += WriteVarInt(span[at..], value.Rows.Count);
        foreach (var row in value.Rows)
        {
            at += WriteVarInt(span[at..], index[row.RowKey]);
            BinaryPrimitives.WriteDoubleLittleEndian(span[at..], row.Weight);
            at += 8;
            at += WriteVarInt(span[at..], row.Pairs.Count);
            foreach (var pair in row.Pairs)
            {
                at += WriteVarInt(span[at..], index[pair.Key]);
                BinaryPrimitives.WriteDoubleLittleEndian(span[at..], pair.PairWeight);
                at += 8;
            }
        }
        // Clearing a dictionary costs its capacity: one huge order must not make every later encoding pay for it.
        if (strings.Count > 1_024) (t_index, t_strings) = (null, null);
        return at == size ? buffer : throw new InvalidOperationException($"row bundle sized {size} bytes, wrote {at}");

        int Intern(string key)
        {
            if (index.TryGetValue(key, out var i)) return i;
            index[key] = i = strings.Count;
            strings.Add((key, Encoding.UTF8.GetByteCount(key)));
            return i;
        }
    }

    // Per thread, reused: a bundle is encoded on the stream thread that sends it.
    [ThreadStatic] private static Dictionary<string, int>? t_index;
    [ThreadStatic] private static List<(string Text, int Bytes)>? t_strings;

    /// <summary>Bytes of a 7-bit encoded count (<see cref="BinaryWriter.Write7BitEncodedInt"/>).</summary>
    private static int VarIntSize(int value)
    {
        var n = 1;
        for (var v = (uint)value; v >= 0x80; v >>= 7) n++;
        return n;
    }

    private static int WriteVarInt(Span<byte> span, int value)
    {
        var n = 0;
        var v = (uint)value;
        for (; v >= 0x80; v >>= 7) span[n++] = (byte)(v | 0x80);
        span[n++] = (byte)v;
        return n;
    }

    /// <summary>A count read from the record, refused if the record could not hold that many entries.</summary>
    private static int Count(BinaryReader reader, int recordBytes, string what)
    {
        var count = reader.Read7BitEncodedInt();
        return count >= 0 && count <= recordBytes ? count : throw new InvalidDataException($"row bundle claims {count} {what}");
    }

    private static string String(BinaryReader reader, string[] strings)
    {
        var i = reader.Read7BitEncodedInt();
        return (uint)i < (uint)strings.Length ? strings[i] : throw new InvalidDataException($"row bundle names string {i} of {strings.Length}");
    }

    private static Decoded<BasketRowBundle> FromSingleRow(Decoded<BasketRowDelta> single) =>
        single.Ok
            ? Decoded<BasketRowBundle>.Success(new BasketRowBundle(single.Value!.SourcePartition, single.Value.SourceOffset, single.Value.Timestamp,
                [new RowContribution(single.Value.RowKey, single.Value.Weight, single.Value.Pairs.Select(p => new Neighbor(p.Key, p.PairWeight)).ToArray())]))
            : Decoded<BasketRowBundle>.Failure(single.FailureKind!, single.FailureReason!);
}
