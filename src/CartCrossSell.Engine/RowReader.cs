namespace CartCrossSell.Engine;

/// <summary>
/// Per-call view of an evidence store with rows numbered by handles, so the ranker aggregates candidates by number.
/// <see cref="CompactEvidence"/> is read in place; any other <see cref="IBasketEvidence"/> through Find/TryGetWeight.
/// </summary>
internal abstract class RowReader
{
    public int[] Handles = new int[256];
    public double[] Pairs = new double[256];

    public static RowReader For(IBasketEvidence evidence) =>
        evidence is CompactEvidence compact ? new CompactReader(compact) : new GenericReader(evidence);

    /// <summary>Finds a row; its handle and weight.</summary>
    public abstract bool TryRow(string key, out int handle, out double weight);

    /// <summary>Loads the neighbours of a row found by <see cref="TryRow"/> into <see cref="Handles"/> and <see cref="Pairs"/>.</summary>
    public abstract int LoadNeighbors(int handle, double rowWeight);

    /// <summary>The weight of the row behind a handle, or 0 when there is no such row.</summary>
    public abstract double Weight(int handle);

    public abstract string Key(int handle);

    protected void Ensure(int count)
    {
        if (Handles.Length >= count) return;
        Handles = new int[count];
        Pairs = new double[count];
    }

    private sealed class CompactReader(CompactEvidence evidence) : RowReader
    {
        public override bool TryRow(string key, out int handle, out double weight)
        {
            handle = evidence.IndexOf(key);
            weight = handle < 0 ? 0 : evidence.WeightAt(handle);
            if (handle >= 0 && !double.IsNaN(weight)) return true;
            weight = 0;
            return false;
        }

        public override int LoadNeighbors(int handle, double rowWeight)
        {
            var ids = evidence.NeighborIds(handle);
            var shares = evidence.NeighborShares(handle);
            Ensure(ids.Length);
            ids.CopyTo(Handles);
            for (var i = 0; i < shares.Length; i++) Pairs[i] = shares[i] * rowWeight;
            return ids.Length;
        }

        public override double Weight(int handle)
        {
            var w = evidence.WeightAt(handle);
            return double.IsNaN(w) ? 0 : w;
        }

        public override string Key(int handle) => evidence.KeyAt(handle);
    }

    private sealed class GenericReader(IBasketEvidence evidence) : RowReader
    {
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

        public override int LoadNeighbors(int handle, double rowWeight)
        {
            var neighbors = _rows[handle].Neighbors;
            Ensure(neighbors.Count);
            for (var i = 0; i < neighbors.Count; i++)
            {
                Handles[i] = Intern(neighbors[i].Key);
                Pairs[i] = neighbors[i].PairWeight;
            }
            return neighbors.Count;
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
