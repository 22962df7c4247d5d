namespace CartCrossSell.Engine;

/// <summary>
/// Per-call view of an evidence store with rows numbered by handles, so the ranker aggregates candidates by number.
/// <see cref="CompactEvidence"/> and <see cref="LiveEvidence"/> are read by number; any other <see cref="IBasketEvidence"/>
/// through Find/TryGetWeight.
/// </summary>
internal abstract class RowReader
{
    public int[] Handles = new int[256];
    public double[] Pairs = new double[256];

    [ThreadStatic] private static CompactReader? _pooled;
    [ThreadStatic] private static GenericReader? _pooledGeneric;
    [ThreadStatic] private static LiveReader? _pooledLive;

    /// <summary>Candidate scratch of the ranking call (reused with the reader).</summary>
    public Candidate[] Candidates = new Candidate[64];

    public Candidate[] GrowCandidates()
    {
        Array.Resize(ref Candidates, Candidates.Length * 2);
        return Candidates;
    }

    /// <summary>The weights of the rows of the loaded neighbours (0 when a neighbour has no row).</summary>
    public double[] NeighborWeights = new double[256];

    // Candidate slots of this call: a small open-addressing table (stays in the CPU cache), cleared by generation. Key,
    // slot and stamp of an entry side by side, so a probe reads one cache line instead of one in each of three arrays.
    private SlotEntry[] _slots = new SlotEntry[4096];
    private int _slotCount;
    private int _generation;

    private struct SlotEntry
    {
        public int Stamp, Key, Value;
    }

    /// <summary>
    /// A reader for one ranking call. Readers are reused per thread and per evidence store (with their scratch
    /// arrays and the kept skus' handles, about 125 KB), so a call allocates little; <see cref="Release"/> hands it back. Pooling the generic reader
    /// too (the streaming recommender reads the replicated rows through it) cut its allocation per cart event from
    /// 248 KB to 34 KB and its time by a quarter (Online Retail carts, 300 to 220 µs per event).
    /// </summary>
    public static RowReader For(IBasketEvidence evidence)
    {
        RowReader reader;
        if (evidence is CompactEvidence compact)
        {
            reader = _pooled is { } p && ReferenceEquals(p.Evidence, compact) ? p : new CompactReader(compact);
            _pooled = null;
        }
        else if ((evidence as LiveEvidence ?? (evidence as ILiveEvidenceView)?.Evidence) is { } live)
        {
            reader = _pooledLive is { } l && ReferenceEquals(l.Evidence, live) ? l : new LiveReader(live);
            _pooledLive = null;
        }
        else
        {
            reader = _pooledGeneric is { } g && ReferenceEquals(g.Evidence, evidence) ? g : new GenericReader(evidence);
            _pooledGeneric = null;
        }
        reader.NewCall();
        return reader;
    }

    public void Release()
    {
        if (this is CompactReader compact) _pooled = compact;
        else if (this is LiveReader live) _pooledLive = live;
        else if (this is GenericReader generic) _pooledGeneric = generic;
    }

    /// <summary>Forgets what the previous call of a reused reader interned or loaded.</summary>
    protected virtual void ResetCall()
    {
    }

    private void NewCall()
    {
        ResetCall();
        _slotCount = 0;
        if (++_generation != int.MaxValue) return;
        Array.Clear(_slots);
        _generation = 1;
    }

    /// <summary>The candidate slot of a handle in this call, or -1.</summary>
    public int SlotOf(int handle)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)((uint)(handle * -1640531535) >> 12) & mask; ; i = (i + 1) & mask)
        {
            ref var e = ref slots[i];
            if (e.Stamp != _generation) return -1;
            if (e.Key == handle) return e.Value;
        }
    }

    public void SetSlot(int handle, int slot)
    {
        if (2 * (_slotCount + 1) > _slots.Length) Grow();
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)((uint)(handle * -1640531535) >> 12) & mask; ; i = (i + 1) & mask)
        {
            ref var e = ref slots[i];
            if (e.Stamp == _generation && e.Key != handle) continue;
            if (e.Stamp != _generation) _slotCount++;
            e.Stamp = _generation;
            e.Key = handle;
            e.Value = slot;
            return;
        }
    }

    private void Grow()
    {
        var old = _slots;
        var generation = _generation;
        _slots = new SlotEntry[old.Length * 2];
        _generation = 1;
        _slotCount = 0;
        foreach (var e in old)
            if (e.Stamp == generation) SetSlot(e.Key, e.Value);
    }

    protected void Ensure(int count)
    {
        if (Handles.Length >= count) return;
        Handles = new int[count];
        Pairs = new double[count];
        NeighborWeights = new double[count];
    }

    /// <summary>Finds a row; its handle and weight.</summary>
    public abstract bool TryRow(string key, out int handle, out double weight);

    /// <summary>
    /// <see cref="TryRow(string, out int, out double)"/> for the key <paramref name="prefix"/> + <paramref name="name"/>
    /// (<see cref="RowKeys"/>), composed on the stack (<see cref="RowKeys.WithKey"/>). Stores that cannot look a key up
    /// by its characters get the string.
    /// </summary>
    public bool TryRow(string prefix, string name, out int handle, out double weight)
    {
        (var found, handle, weight) = RowKeys.WithKey(prefix, name, this, static (reader, key) => (reader.TryRow(key, out var h, out var w), h, w));
        return found;
    }

    /// <summary>
    /// A cart item's rows: its item row (<see cref="RowKeys.ItemPrefix"/>; its handle also when the sku is known only as
    /// a neighbour) and, when that row is found, its sequence rows (<see cref="RowKeys.NextPrefix"/>,
    /// <see cref="RowKeys.PreviousPrefix"/>), as <see cref="TryRow(string, string, out int, out double)"/> finds each.
    /// </summary>
    public virtual ItemRows FindItemRows(string sku)
    {
        var item = Lookup(RowKeys.ItemPrefix, sku);
        return item.Found
            ? new ItemRows(item, Lookup(RowKeys.NextPrefix, sku), Lookup(RowKeys.PreviousPrefix, sku))
            : new ItemRows(item, RowLookup.Missing, RowLookup.Missing);
    }

    private RowLookup Lookup(string prefix, string sku) =>
        new(TryRow(prefix, sku, out var handle, out var weight), handle, weight);

    /// <summary>As <see cref="TryRow(string, out int, out double)"/> for a key given as characters.</summary>
    protected virtual bool TryRow(ReadOnlySpan<char> key, out int handle, out double weight) =>
        TryRow(key.ToString(), out handle, out weight);

    /// <summary>
    /// Loads the neighbours of a row found by <see cref="TryRow"/> or <see cref="FindItemRows"/> into <see cref="Handles"/>, <see cref="Pairs"/>
    /// and <see cref="NeighborWeights"/>: only item neighbours when <paramref name="items"/>, else only the others.
    /// </summary>
    public abstract int LoadNeighbors(int handle, double rowWeight, bool items);

    /// <summary>The weight of the row behind a handle, or 0 when there is no such row.</summary>
    public abstract double Weight(int handle);

    /// <summary>
    /// Whether a key's handle is the same in every call on this store (a compact store's index, a live store's number,
    /// neither ever reused), so a caller may keep handles between calls; the generic reader numbers keys per call.
    /// </summary>
    public virtual bool HandlesOutliveTheCall => false;

    public abstract string Key(int handle);

    /// <summary>
    /// The handle of <paramref name="sku"/>'s item row and its weight, as <see cref="LookUpItem"/> finds them, remembered by the string's reference where handles outlive the
    /// call: for skus a long-lived source names call after call with the same string (the similar-baskets index keeps
    /// one per item), whose twenty lookups in the index of every row key were 2.5 % of a learned ranking's samples. The
    /// weight is read anew each time; an unknown sku is not remembered (a live store may learn it later).
    /// </summary>
    public int ItemHandleOfKeptSku(string sku, out double weight)
    {
        if (!HandlesOutliveTheCall) return LookUpItem(sku, out weight);
        var cache = _keptSkus ??= new KeptSku[4096];
        ref var entry = ref cache[System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(sku) & (cache.Length - 1)];
        if (ReferenceEquals(entry.Sku, sku))
        {
            weight = Weight(entry.Handle);
            return entry.Handle;
        }
        var handle = LookUpItem(sku, out weight);
        if (handle >= 0) entry = new KeptSku(sku, handle);
        return handle;
    }

    /// <summary>
    /// An item row's handle and weight (0 without a row), or -1 when the sku is unknown (the generic reader numbers
    /// every key it is asked for, so it returns a handle for any sku).
    /// </summary>
    internal int LookUpItem(string sku, out double weight)
    {
        if (TryRow(RowKeys.ItemPrefix, sku, out var handle, out weight)) return handle;
        weight = 0;
        return handle >= 0 ? handle : -1;
    }

    // Direct-mapped by the string's identity hash: a colliding sku replaces the entry (it is looked up again).
    private KeptSku[]? _keptSkus;
    private readonly record struct KeptSku(string Sku, int Handle);

    /// <summary>The sku of an item row's handle (a new string unless the store keeps them).</summary>
    public virtual string Sku(int handle) => RowKeys.SkuOf(Key(handle));

    private sealed class CompactReader(CompactEvidence evidence) : RowReader
    {
        public CompactEvidence Evidence => evidence;

        public override bool HandlesOutliveTheCall => true;

        /// <summary>The three rows by one lookup of the sku (<see cref="CompactEvidence.RowsOfSku"/>) instead of three of composed keys.</summary>
        public override ItemRows FindItemRows(string sku)
        {
            var (item, next, previous) = evidence.RowsOfSku(sku);
            var found = Lookup(item);
            return found.Found ? new ItemRows(found, Lookup(next), Lookup(previous)) : new ItemRows(found, RowLookup.Missing, RowLookup.Missing);
        }

        private RowLookup Lookup(int handle)
        {
            var weight = handle < 0 ? double.NaN : evidence.WeightAt(handle);
            return double.IsNaN(weight) ? new RowLookup(false, handle, 0) : new RowLookup(true, handle, weight);
        }

        public override bool TryRow(string key, out int handle, out double weight) => TryRow(key.AsSpan(), out handle, out weight);

        protected override bool TryRow(ReadOnlySpan<char> key, out int handle, out double weight)
        {
            handle = evidence.IndexOf(key);
            weight = handle < 0 ? 0 : evidence.WeightAt(handle);
            if (handle >= 0 && !double.IsNaN(weight)) return true;
            weight = 0;
            return false;
        }

        public override int LoadNeighbors(int handle, double rowWeight, bool items)
        {
            var ids = evidence.NeighborIds(handle);
            var shares = evidence.NeighborShares(handle);
            var weights = evidence.Weights;
            Ensure(ids.Length);
            var n = 0;
            // One pass of independent loads: the CPU fetches the neighbours' weights in parallel.
            for (var i = 0; i < ids.Length; i++)
            {
                var stored = ids[i];
                if (stored >= 0 != items) continue;
                var id = CompactEvidence.Decode(stored);
                var w = weights[id];
                Handles[n] = id;
                Pairs[n] = shares[i] * rowWeight;
                NeighborWeights[n] = double.IsNaN(w) ? 0 : w;
                n++;
            }
            return n;
        }

        public override double Weight(int handle)
        {
            var w = evidence.WeightAt(handle);
            return double.IsNaN(w) ? 0 : w;
        }

        public override string Key(int handle) => evidence.KeyAt(handle);

        public override string Sku(int handle) => evidence.SkuAt(handle);
    }

    /// <summary>
    /// Reads <see cref="LiveEvidence"/> by its numbers. The rows may change between two reads of one call; each read
    /// sees a whole row, and a ranking mixes at most rows of a few milliseconds apart, as the generic reader does.
    /// </summary>
    private sealed class LiveReader(LiveEvidence evidence) : RowReader
    {
        public LiveEvidence Evidence => evidence;

        public override bool HandlesOutliveTheCall => true;

        // The rows found in this call (TryRow, FindItemRows), by handle: the row read when found is the row loaded.
        private readonly Dictionary<int, NumberedRow> _found = [];

        /// <summary>The three rows by one lookup of the sku (<see cref="LiveEvidence.RowsOfSku"/>) instead of three of composed keys.</summary>
        public override ItemRows FindItemRows(string sku)
        {
            var (item, next, previous) = evidence.RowsOfSku(sku);
            var found = Lookup(item);
            return found.Found ? new ItemRows(found, Lookup(next), Lookup(previous)) : new ItemRows(found, RowLookup.Missing, RowLookup.Missing);
        }

        private RowLookup Lookup(int handle)
        {
            if (handle >= 0 && evidence.RowAt(handle) is { Weight: > 0 } row)
            {
                _found[handle] = row;
                return new RowLookup(true, handle, row.Weight);
            }
            return new RowLookup(false, handle, 0);
        }

        protected override void ResetCall() => _found.Clear();

        public override bool TryRow(string key, out int handle, out double weight) => TryRow(key.AsSpan(), out handle, out weight);

        protected override bool TryRow(ReadOnlySpan<char> key, out int handle, out double weight)
        {
            handle = evidence.IndexOf(key);
            if (handle >= 0 && evidence.RowAt(handle) is { Weight: > 0 } row)
            {
                _found[handle] = row;
                weight = row.Weight;
                return true;
            }
            weight = 0;
            return false;
        }

        public override int LoadNeighbors(int handle, double rowWeight, bool items)
        {
            var row = _found[handle];
            var numbers = row.Neighbors;
            Ensure(numbers.Length);
            // Every number the row names existed before the row was published, so it is inside this array.
            var weights = evidence.Weights;
            var n = 0;
            for (var i = 0; i < numbers.Length; i++)
            {
                var stored = numbers[i];
                if (stored >= 0 != items) continue;
                var number = stored >= 0 ? stored : ~stored;
                Handles[n] = number;
                Pairs[n] = row.Pairs[i];
                NeighborWeights[n] = weights[number];
                n++;
            }
            return n;
        }

        public override double Weight(int handle) => evidence.WeightAt(handle);

        public override string Key(int handle) => evidence.KeyAt(handle);

        public override string Sku(int handle) => evidence.SkuAt(handle);
    }

    private sealed class GenericReader(IBasketEvidence evidence) : RowReader
    {
        public IBasketEvidence Evidence => evidence;

        // Handles are numbered per call; rows and weights may change between calls (the tables are live).
        protected override void ResetCall()
        {
            _handles.Clear();
            _keys.Clear();
            _weights.Clear();
            _rows.Clear();
        }

        private readonly Dictionary<string, int> _handles = new(StringComparer.Ordinal);
        private readonly List<string> _keys = [];
        private readonly List<double> _weights = [];
        private readonly Dictionary<int, EvidenceRow> _rows = [];

        public override bool TryRow(string key, out int handle, out double weight)
        {
            handle = Intern(key);
            var row = evidence.Find(key);
            if (row is null || row.Weight <= 0)
            {
                _weights[handle] = 0;
                weight = 0;
                return false;
            }
            _rows[handle] = row;
            _weights[handle] = weight = row.Weight;
            return true;
        }

        public override int LoadNeighbors(int handle, double rowWeight, bool items)
        {
            var neighbors = _rows[handle].Neighbors;
            Ensure(neighbors.Count);
            var n = 0;
            for (var i = 0; i < neighbors.Count; i++)
            {
                if (RowKeys.IsItem(neighbors[i].Key) != items) continue;
                var h = Intern(neighbors[i].Key);
                Handles[n] = h;
                Pairs[n] = neighbors[i].PairWeight;
                NeighborWeights[n] = Weight(h);
                n++;
            }
            return n;
        }

        public override double Weight(int handle)
        {
            var w = _weights[handle];
            if (!double.IsNaN(w)) return w;
            w = evidence.TryGetWeight(_keys[handle], out var found) && found > 0 ? found : 0;
            _weights[handle] = w;
            return w;
        }

        public override string Key(int handle) => _keys[handle];

        private int Intern(string key)
        {
            if (_handles.TryGetValue(key, out var h)) return h;
            h = _keys.Count;
            _handles[key] = h;
            _keys.Add(key);
            _weights.Add(double.NaN);
            return h;
        }
    }
}

/// <summary>
/// A row looked up by key: whether it was found (a row with a weight), its handle (also for a key known only as a
/// neighbour, and from the generic reader, which numbers every key it is asked for, for any key; else -1) and its
/// weight (0 when not found).
/// </summary>
internal readonly record struct RowLookup(bool Found, int Handle, double Weight)
{
    public static readonly RowLookup Missing = new(false, -1, 0);
}

/// <summary>A cart item's item row and its sequence rows (those two <see cref="RowLookup.Missing"/> when the item row is not found).</summary>
internal readonly record struct ItemRows(RowLookup Item, RowLookup Next, RowLookup Previous);
