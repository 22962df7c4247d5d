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
/// distinct keys ever seen (a slot of a few dozen bytes each beside the rows themselves, and an item row's sku once a
/// ranking asked for it). A reader sees each row either before or after
/// a change, never half of one: a row is replaced whole, and every number it names exists before it is published.
/// </remarks>
public sealed class LiveEvidence : IBasketEvidence
{
    private readonly ConcurrentDictionary<string, int> _numbers;
    private readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _numbersByChars;
    private volatile Slot[] _slots = new Slot[1024];

    // Each number's row weight (0: no row), beside its slot: ranking reads a weight for every neighbour of every cart
    // item, and an array element is one load where slot, then row, then weight were two dependent ones in scattered
    // objects (a tenth of a learned ranking with a catalog). Always as long as the slots; written by the single writer
    // with the row, so a reader sees a number's weight before or after a change, as it sees the row.
    private volatile double[] _weights = new double[1024];
    private int _count;
    private int _rows;
    private double _baskets;

    public LiveEvidence()
    {
        _numbers = new(StringComparer.Ordinal);
        _numbersByChars = _numbers.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public double Baskets => Volatile.Read(ref _baskets);

    /// <summary>Rows held (numbers without a row, such as neighbours never learned as rows, are not counted).</summary>
    public int RowCount => Volatile.Read(ref _rows);

    /// <summary>The row for a key, built from its numbered form (its neighbour keys are the table's own strings).</summary>
    public EvidenceRow? Find(string rowKey) => IndexOf(rowKey) is var n and >= 0 && SlotAt(n).Row is { } row ? ToRow(SlotAt(n).Key, row) : null;

    public bool TryGetWeight(string rowKey, out double weight)
    {
        var row = IndexOf(rowKey) is var n and >= 0 ? SlotAt(n).Row : null;
        weight = row?.Weight ?? 0;
        return row is not null;
    }

    /// <summary>The row for a key with the stamp it was applied with, or false.</summary>
    public bool TryFind(string rowKey, out EvidenceRow row, out long stamp)
    {
        if (IndexOf(rowKey) is var n and >= 0 && SlotAt(n).Row is { } numbered)
        {
            row = ToRow(SlotAt(n).Key, numbered);
            stamp = numbered.Stamp;
            return true;
        }
        row = null!;
        stamp = 0;
        return false;
    }

    /// <summary>The key and weight of every row held, in no particular order (rows may change during the walk).</summary>
    public IEnumerable<(string Key, double Weight)> RowWeights()
    {
        var slots = _slots;
        var count = Math.Min(Volatile.Read(ref _count), slots.Length);
        for (var i = 0; i < count; i++)
            if (slots[i]?.Row is { } row) yield return (slots[i].Key, row.Weight);
    }

    /// <summary>The keys of every row held, in no particular order.</summary>
    public IEnumerable<string> RowKeys()
    {
        var slots = _slots;
        var count = Math.Min(Volatile.Read(ref _count), slots.Length);
        for (var i = 0; i < count; i++)
            if (slots[i]?.Row is not null) yield return slots[i].Key;
    }

    /// <summary>Sets the decayed number of baskets learned from.</summary>
    public void SetBaskets(double baskets) => Volatile.Write(ref _baskets, baskets);

    /// <summary>Stores (replaces) a row. Single writer: only one thread may call this, <see cref="Remove"/> and <see cref="SetBaskets"/>.</summary>
    public void Apply(EvidenceRow row) => Apply(row.Key, row.Weight, row.Neighbors, stamp: 0);

    /// <summary>
    /// Stores (replaces) a row, with a stamp the engine does not read (the table keeps its source's update time
    /// there). Single writer, see <see cref="Apply(EvidenceRow)"/>. Only numbers and weights are kept (12 bytes per
    /// neighbour): the keys are the table's own strings, one per distinct key.
    /// </summary>
    public void Apply(string key, double weight, IReadOnlyList<Neighbor> neighbors, long stamp)
    {
        var numbers = new int[neighbors.Count];
        var pairs = new double[neighbors.Count];
        for (var i = 0; i < numbers.Length; i++)
        {
            var n = Number(neighbors[i].Key);
            numbers[i] = Engine.RowKeys.IsItem(neighbors[i].Key) ? n : ~n;
            pairs[i] = neighbors[i].PairWeight;
        }
        var number = Number(key);
        var slot = SlotAt(number);
        if (slot.Row is null) Interlocked.Increment(ref _rows);
        slot.Row = new NumberedRow(weight, numbers, pairs, stamp);
        _weights[number] = weight > 0 ? weight : 0;
    }

    /// <summary>Deletes a row (its number stays). Single writer, see <see cref="Apply(EvidenceRow)"/>.</summary>
    public void Remove(string rowKey)
    {
        if (IndexOf(rowKey) is not (var n and >= 0)) return;
        var slot = SlotAt(n);
        if (slot.Row is null) return;
        slot.Row = null;
        _weights[n] = 0;
        Interlocked.Decrement(ref _rows);
    }

    /// <summary>
    /// Deletes every row (a table that starts its bootstrap again). The numbers stay, so a ranking running meanwhile
    /// reads rows that are gone, never a number out of range. Single writer.
    /// </summary>
    public void Clear()
    {
        var slots = _slots;
        var count = Math.Min(Volatile.Read(ref _count), slots.Length);
        var weights = _weights;
        for (var i = 0; i < count; i++)
        {
            slots[i].Row = null;
            weights[i] = 0;
        }
        Volatile.Write(ref _rows, 0);
        SetBaskets(0);
    }

    private EvidenceRow ToRow(string key, NumberedRow row)
    {
        var neighbors = new Neighbor[row.Neighbors.Length];
        for (var i = 0; i < neighbors.Length; i++)
        {
            var stored = row.Neighbors[i];
            neighbors[i] = new Neighbor(KeyAt(stored >= 0 ? stored : ~stored), row.Pairs[i]);
        }
        return new EvidenceRow(key, row.Weight, neighbors);
    }

    /// <summary>The number of a key, or -1 when no row or neighbour ever had it.</summary>
    internal int IndexOf(string key) => _numbers.TryGetValue(key, out var n) ? n : -1;

    /// <summary>As <see cref="IndexOf(string)"/> for a key given as characters (no string made to look it up).</summary>
    internal int IndexOf(ReadOnlySpan<char> key) => _numbersByChars.TryGetValue(key, out var n) ? n : -1;

    internal string KeyAt(int number) => SlotAt(number).Key;

    /// <summary>The sku of an item row's number, cut from its key once (a candidate's sku was a new string per ranking).</summary>
    internal string SkuAt(int number) => SlotAt(number).Sku;

    /// <summary>The weight of the row behind a number; 0 when it has none.</summary>
    internal double WeightAt(int number) => _weights[number];

    /// <summary>Every number's row weight (0: none), by number: read once per row of neighbours (<see cref="WeightAt"/>).</summary>
    internal double[] Weights => _weights;

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
            // The weights grow first: a reader that has the new slots (and so the number) finds its weight.
            var weights = _weights;
            Array.Resize(ref weights, slots.Length * 2);
            _weights = weights;
            Array.Resize(ref slots, slots.Length * 2); // slot objects are shared, so a row set later shows in both arrays
            _slots = slots;
        }
        slots[n] = new Slot(key);
        Volatile.Write(ref _count, n + 1);
        _numbers[key] = n;
        LinkSequenceRows(key, n);
        return n;
    }

    // An item key's slot holds the numbers of its sku's next and previous rows, so a ranking finds a cart item's three
    // rows by one lookup (RowsOfSku) instead of three of composed keys. Linked by the single writer whichever of the
    // keys is numbered first; a reader that finds -1 reads as if the sequence row had not arrived yet.
    private void LinkSequenceRows(string key, int number)
    {
        if (Engine.RowKeys.IsSequence(key, out var next, out var sku))
        {
            var item = IndexOf(Engine.RowKeys.ItemPrefix, sku);
            if (item < 0) return;
            if (next) SlotAt(item).Next = number;
            else SlotAt(item).Previous = number;
        }
        else if (Engine.RowKeys.IsItem(key))
        {
            var slot = SlotAt(number);
            var itemSku = key.AsSpan(Engine.RowKeys.ItemPrefix.Length);
            slot.Next = IndexOf(Engine.RowKeys.NextPrefix, itemSku);
            slot.Previous = IndexOf(Engine.RowKeys.PreviousPrefix, itemSku);
        }
    }

    /// <summary>The number of the key <paramref name="prefix"/> + <paramref name="sku"/>, or -1.</summary>
    private int IndexOf(string prefix, ReadOnlySpan<char> sku) => Engine.RowKeys.WithKey(prefix, sku, this, static (live, key) => live.IndexOf(key));

    /// <summary>The numbers (-1 where a key was never seen) of a sku's item row and sequence rows, by one lookup of the sku.</summary>
    internal (int Item, int Next, int Previous) RowsOfSku(string sku)
    {
        var item = IndexOf(Engine.RowKeys.ItemPrefix, sku);
        if (item < 0) return (-1, -1, -1);
        var slot = SlotAt(item);
        return (item, slot.Next, slot.Previous);
    }

    private sealed class Slot(string key)
    {
        public string Key { get; } = key;

        // Cut on first use: only skus that become candidates pay for it. Two threads may both cut it; either string
        // is the same sku.
        private string? _sku;
        public string Sku => _sku ??= CartCrossSell.Engine.RowKeys.SkuOf(Key);

        private volatile NumberedRow? _row;

        /// <summary>For an item key: the numbers of its sku's next and previous rows (-1 none yet).</summary>
        public volatile int Next = -1, Previous = -1;

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
internal sealed record NumberedRow(double Weight, int[] Neighbors, double[] Pairs, long Stamp);
