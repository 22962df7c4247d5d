using System.Runtime.InteropServices;

namespace CartCrossSell.Engine;

/// <summary>
/// A read-only, compact evidence store for serving: every row key is interned once and numbered; a row holds its
/// weight and its neighbours as (row number, pair weight / row weight) in two flat arrays, 8 bytes per neighbour.
/// A million items with a hundred neighbours each take about 1 GB (and 8 bytes per key link an item to its
/// order-of-addition rows). Safe for concurrent reads.
/// Build it with <see cref="Builder"/> (from published rows) or <see cref="BasketLearner.Compact"/>.
/// </summary>
public sealed class CompactEvidence : IBasketEvidence
{
    private readonly Dictionary<string, int> _index;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _indexByChars;
    private readonly string[] _keys;
    private readonly double[] _weights;   // NaN: the key is only known as a neighbour
    private readonly long[] _offsets;     // start of the row's neighbours
    private readonly int[] _counts;
    private readonly int[] _neighbors;
    private readonly float[] _shares;
    private readonly byte[] _kinds;       // 1 item row key, 2 category row key, 0 other

    private CompactEvidence(Builder b)
    {
        _index = b.Index;
        _indexByChars = _index.GetAlternateLookup<ReadOnlySpan<char>>();
        var n = b.Keys.Count;
        // The builder's arrays are taken over as they are (no copy: a copy would double the peak memory).
        _keys = b.Keys.Items;
        _weights = b.Weights.Items;
        _offsets = b.Offsets.Items;
        _counts = b.Counts.Items;
        _neighbors = b.NeighborIds.Items;
        _shares = b.Shares.Items;
        _kinds = b.Kinds.Items;
        _keyCount = n;
        _neighborTotal = b.NeighborIds.Count;
        Baskets = b.BasketWeight;
        RowCount = b.RowsAdded;
        _nextOf = new int[n];
        _previousOf = new int[n];
        LinkSequenceRows();
    }

    private readonly int _keyCount;
    private readonly long _neighborTotal;

    public double Baskets { get; }

    /// <summary>Rows held (keys known only as neighbours are not rows).</summary>
    public int RowCount { get; }

    public long NeighborCount => _neighborTotal;

    public EvidenceRow? Find(string rowKey)
    {
        if (!_index.TryGetValue(rowKey, out var id) || double.IsNaN(_weights[id])) return null;
        var w = _weights[id];
        var count = _counts[id];
        var neighbors = new Neighbor[count];
        var start = _offsets[id];
        for (var i = 0; i < count; i++)
            neighbors[i] = new Neighbor(_keys[Decode(_neighbors[start + i])], _shares[start + i] * w);
        return new EvidenceRow(rowKey, w, neighbors);
    }

    public bool TryGetWeight(string rowKey, out double weight)
    {
        if (_index.TryGetValue(rowKey, out var id) && !double.IsNaN(_weights[id]))
        {
            weight = _weights[id];
            return true;
        }
        weight = 0;
        return false;
    }

    internal int IndexOf(string rowKey) => _index.TryGetValue(rowKey, out var id) ? id : -1;

    /// <summary>As <see cref="IndexOf(string)"/> for a key given as characters (no string made to look it up).</summary>
    internal int IndexOf(ReadOnlySpan<char> rowKey) => _indexByChars.TryGetValue(rowKey, out var id) ? id : -1;
    internal string KeyAt(int id) => _keys[id];

    /// <summary>
    /// The sku of an item row key, made once per key and kept (the ranker names its ~120 candidates by sku at every
    /// call; 8 bytes per key for the references, the strings only for the keys ever named). Threads racing on one key
    /// may each make the string; either is kept, both are equal.
    /// </summary>
    internal string SkuAt(int id)
    {
        var skus = _skus ?? Interlocked.CompareExchange(ref _skus, new string?[_keyCount], null) ?? _skus;
        return skus[id] ??= RowKeys.SkuOf(_keys[id]);
    }

    private string?[]? _skus;

    /// <summary>
    /// The handles (-1 where a key is unknown) of a sku's item row and sequence rows: one lookup of the item key, the
    /// other two read beside it (a ranking looks the three up for every cart item, and three lookups of composed keys in
    /// the index of every row were 5 % of a learned ranking).
    /// </summary>
    internal (int Item, int Next, int Previous) RowsOfSku(string sku)
    {
        var item = IndexOf(RowKeys.ItemPrefix, sku);
        return item < 0 ? (-1, -1, -1) : (item, _nextOf[item], _previousOf[item]);
    }

    // By item key id: the id of its sku's next / previous row, -1 none (8 bytes per key, made with the store).
    private readonly int[] _nextOf;
    private readonly int[] _previousOf;

    private void LinkSequenceRows()
    {
        Array.Fill(_nextOf, -1);
        Array.Fill(_previousOf, -1);
        for (var id = 0; id < _keyCount; id++)
        {
            if (!RowKeys.IsSequence(_keys[id], out var next, out var sku)) continue;
            var item = IndexOf(RowKeys.ItemPrefix, sku);
            if (item >= 0) (next ? _nextOf : _previousOf)[item] = id;
        }
    }

    /// <summary>The id of the key <paramref name="prefix"/> + <paramref name="sku"/>, or -1.</summary>
    private int IndexOf(string prefix, ReadOnlySpan<char> sku) => RowKeys.WithKey(prefix, sku, this, static (store, key) => store.IndexOf(key));

    internal bool IsItemAt(int id) => _kinds[id] == 1;

    /// <summary>Neighbour ids are stored as the row number for item keys and its complement (negative) otherwise.</summary>
    internal static int Decode(int stored) => stored >= 0 ? stored : ~stored;

    internal ReadOnlySpan<double> Weights => _weights;
    internal int KeyCount => _keyCount;
    internal double WeightAt(int id) => _weights[id];
    internal ReadOnlySpan<int> NeighborIds(int id) => new(_neighbors, checked((int)_offsets[id]), _counts[id]);
    internal ReadOnlySpan<float> NeighborShares(int id) => new(_shares, checked((int)_offsets[id]), _counts[id]);

    /// <summary>Every row key held.</summary>
    public IEnumerable<string> RowKeysHeld
    {
        get
        {
            for (var i = 0; i < _keyCount; i++)
                if (!double.IsNaN(_weights[i])) yield return _keys[i];
        }
    }

    /// <summary>Collects rows; each key may be added once. Not thread-safe.</summary>
    public sealed class Builder
    {
        internal readonly Dictionary<string, int> Index;
        internal GrowArray<string> Keys;
        internal GrowArray<double> Weights;
        internal GrowArray<long> Offsets;
        internal GrowArray<int> Counts;
        internal GrowArray<int> NeighborIds;
        internal GrowArray<float> Shares;
        internal GrowArray<byte> Kinds;
        private bool _built;
        internal int RowsAdded;
        internal double BasketWeight;

        /// <param name="expectedKeys">Capacity hint: distinct row keys, including keys seen only as neighbours.</param>
        /// <param name="expectedNeighbors">Capacity hint: total neighbours over all rows.</param>
        public Builder(int expectedKeys = 0, int expectedNeighbors = 0)
        {
            Index = new Dictionary<string, int>(expectedKeys, StringComparer.Ordinal);
            Keys = new GrowArray<string>(expectedKeys);
            Weights = new GrowArray<double>(expectedKeys);
            Offsets = new GrowArray<long>(expectedKeys);
            Counts = new GrowArray<int>(expectedKeys);
            NeighborIds = new GrowArray<int>(expectedNeighbors);
            Shares = new GrowArray<float>(expectedNeighbors);
            Kinds = new GrowArray<byte>(expectedKeys);
        }

        public Builder SetBaskets(double baskets)
        {
            BasketWeight = baskets;
            return this;
        }

        public Builder Add(EvidenceRow row) => Add(row.Key, row.Weight, row.Neighbors is Neighbor[] a ? a : row.Neighbors.ToArray());

        public Builder Add(string key, double weight, ReadOnlySpan<Neighbor> neighbors)
        {
            if (_built) throw new InvalidOperationException("the builder was already built");
            if (key == RowKeys.Baskets) return SetBaskets(weight);
            if (weight <= 0 || double.IsNaN(weight)) throw new ArgumentOutOfRangeException(nameof(weight), "a row weight must be positive");
            var id = Intern(key);
            if (!double.IsNaN(Weights.Items[id])) throw new ArgumentException($"row {key} was already added", nameof(key));
            Weights.Items[id] = weight;
            Offsets.Items[id] = NeighborIds.Count;
            Counts.Items[id] = neighbors.Length;
            foreach (var n in neighbors)
            {
                var neighbor = Intern(n.Key);
                NeighborIds.Add(Kinds.Items[neighbor] == 1 ? neighbor : ~neighbor);
                Shares.Add((float)(n.PairWeight / weight));
            }
            RowsAdded++;
            return this;
        }

        public CompactEvidence Build()
        {
            if (_built) throw new InvalidOperationException("the builder was already built");
            _built = true;
            return new(this);
        }

        private int Intern(string key)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(Index, key, out var exists);
            if (exists) return slot;
            slot = Keys.Count;
            Keys.Add(key);
            Weights.Add(double.NaN);
            Offsets.Add(0);
            Counts.Add(0);
            Kinds.Add(RowKeys.IsItem(key) ? (byte)1 : RowKeys.IsCategory(key) ? (byte)2 : (byte)0);
            return slot;
        }
    }
}

/// <summary>A list whose backing array can be handed over without a copy.</summary>
internal struct GrowArray<T>(int capacity)
{
    public T[] Items = new T[Math.Max(capacity, 4)];
    public int Count;

    public void Add(T item)
    {
        if (Count == Items.Length) Array.Resize(ref Items, checked(Items.Length + Items.Length / 2 + 4));
        Items[Count++] = item;
    }
}
