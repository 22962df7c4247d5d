using System.Collections.Concurrent;

namespace CartCrossSell.Engine;

/// <summary>
/// Learned rows that keep changing while carts are ranked: one thread applies rows (the replicated
/// <c>item-neighbors</c> table), any number of threads read. Every row key, and every neighbour key a row names, gets
/// a number when it first arrives, and a row keeps its neighbours by number; ranking then reads a neighbour's weight
/// as an array element, as it does from <see cref="CompactEvidence"/>, instead of hashing its key. (Reading the weights
/// of a cart's 2,000 neighbours through a string-keyed concurrent dictionary was a third of the streaming recommender's
/// time per cart event.)
/// </summary>
/// <remarks>
/// Numbers are never reused: a deleted row keeps its number with no row behind it, so the numbers grow with the
/// distinct keys ever seen (a few bytes each beside the rows themselves). A reader sees each row either before or after
/// a change, never half of one: a row is replaced whole, and every number it names exists before it is published.
/// </remarks>
public sealed class LiveEvidence : IBasketEvidence
{
    private readonly ConcurrentDictionary<string, int> _numbers = new(StringComparer.Ordinal);
    private volatile Slot[] _slots = new Slot[1024];
    private int _count;
    private int _rows;
    private double _baskets;

    public double Baskets => Volatile.Read(ref _baskets);

    /// <summary>Rows held (numbers without a row, such as neighbours never learned as rows, are not counted).</summary>
    public int RowCount => Volatile.Read(ref _rows);

    public EvidenceRow? Find(string rowKey) => IndexOf(rowKey) is var n and >= 0 ? SlotAt(n).Row?.Row : null;

    public bool TryGetWeight(string rowKey, out double weight)
    {
        var row = IndexOf(rowKey) is var n and >= 0 ? SlotAt(n).Row : null;
        weight = row?.Row.Weight ?? 0;
        return row is not null;
    }

    /// <summary>Every row held, in no particular order (a snapshot per row, rows may change during the walk).</summary>
    public IEnumerable<EvidenceRow> Rows()
    {
        var slots = _slots;
        var count = Math.Min(Volatile.Read(ref _count), slots.Length);
        for (var i = 0; i < count; i++)
            if (slots[i]?.Row is { } row) yield return row.Row;
    }

    /// <summary>Sets the decayed number of baskets learned from.</summary>
    public void SetBaskets(double baskets) => Volatile.Write(ref _baskets, baskets);

    /// <summary>Stores (replaces) a row. Single writer: only one thread may call this, <see cref="Remove"/> and <see cref="SetBaskets"/>.</summary>
    public void Apply(EvidenceRow row)
    {
        var neighbors = row.Neighbors;
        var numbers = new int[neighbors.Count];
        var pairs = new double[neighbors.Count];
        for (var i = 0; i < numbers.Length; i++)
        {
            var n = Number(neighbors[i].Key);
            numbers[i] = RowKeys.IsItem(neighbors[i].Key) ? n : ~n;
            pairs[i] = neighbors[i].PairWeight;
        }
        var slot = SlotAt(Number(row.Key));
        if (slot.Row is null) Interlocked.Increment(ref _rows);
        slot.Row = new NumberedRow(row, numbers, pairs);
    }

    /// <summary>Deletes a row (its number stays). Single writer, see <see cref="Apply"/>.</summary>
    public void Remove(string rowKey)
    {
        if (IndexOf(rowKey) is not (var n and >= 0)) return;
        var slot = SlotAt(n);
        if (slot.Row is null) return;
        slot.Row = null;
        Interlocked.Decrement(ref _rows);
    }

    /// <summary>The number of a key, or -1 when no row or neighbour ever had it.</summary>
    internal int IndexOf(string key) => _numbers.TryGetValue(key, out var n) ? n : -1;

    internal string KeyAt(int number) => SlotAt(number).Key;

    /// <summary>The weight of the row behind a number; 0 when it has none.</summary>
    internal double WeightAt(int number) => SlotAt(number).Row?.Row.Weight is > 0 and var weight ? weight : 0;

    internal NumberedRow? RowAt(int number) => SlotAt(number).Row;

    // A number handed out is in the array read after it: the array grows before the number is published.
    private Slot SlotAt(int number) => _slots[number];

    private int Number(string key)
    {
        if (_numbers.TryGetValue(key, out var n)) return n;
        n = _count;
        var slots = _slots;
        if (n == slots.Length)
        {
            Array.Resize(ref slots, slots.Length * 2); // slot objects are shared, so a row set later shows in both arrays
            _slots = slots;
        }
        slots[n] = new Slot(key);
        Volatile.Write(ref _count, n + 1);
        _numbers[key] = n;
        return n;
    }

    private sealed class Slot(string key)
    {
        public string Key { get; } = key;
        private volatile NumberedRow? _row;

        public NumberedRow? Row
        {
            get => _row;
            set => _row = value;
        }
    }
}

/// <summary>An evidence store that is a view over <see cref="LiveEvidence"/> (such as a replicated table): rankings read that by number.</summary>
public interface ILiveEvidenceView
{
    LiveEvidence Evidence { get; }
}

/// <summary>A row with its neighbours by number: an item neighbour as its number, any other as its complement (~number).</summary>
internal sealed record NumberedRow(EvidenceRow Row, int[] Neighbors, double[] Pairs);
