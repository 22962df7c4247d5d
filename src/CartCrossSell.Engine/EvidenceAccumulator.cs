namespace CartCrossSell.Engine;

/// <summary>
/// The mutable state of one evidence row: its weight and its neighbours' pair weights, bounded to the strongest
/// <c>maxNeighbors</c>. Pruning happens lazily, when the neighbour map grows to twice the bound, and keeps the
/// strongest pair weights; a pruned neighbour that comes back starts from zero again (the usual space-saving trade).
/// </summary>
public sealed class EvidenceAccumulator
{
    private readonly Dictionary<string, double> _pairs = new(StringComparer.Ordinal);

    public EvidenceAccumulator(string key, int maxNeighbors)
    {
        if (maxNeighbors <= 0) throw new ArgumentOutOfRangeException(nameof(maxNeighbors));
        Key = key;
        MaxNeighbors = maxNeighbors;
    }

    public string Key { get; }
    public int MaxNeighbors { get; }
    public double Weight { get; private set; }
    public int NeighborCount => _pairs.Count;

    public void Apply(double weight, IEnumerable<Neighbor> pairs)
    {
        Weight += weight;
        foreach (var pair in pairs)
            _pairs[pair.Key] = _pairs.GetValueOrDefault(pair.Key) + pair.PairWeight;
        if (_pairs.Count >= 2 * MaxNeighbors) Prune();
    }

    /// <summary>Restores a row from its published form (a changelog or the <c>item-neighbors</c> topic).</summary>
    public static EvidenceAccumulator FromRow(EvidenceRow row, int maxNeighbors)
    {
        var acc = new EvidenceAccumulator(row.Key, maxNeighbors) { Weight = row.Weight };
        foreach (var n in row.Neighbors) acc._pairs[n.Key] = n.PairWeight;
        return acc;
    }

    /// <summary>Every neighbour currently held, pruned or not yet pruned: the full state, for a changelog.</summary>
    public IEnumerable<Neighbor> AllPairs => _pairs.Select(p => new Neighbor(p.Key, p.Value));

    /// <summary>The row with its strongest neighbours first, at most <see cref="MaxNeighbors"/> of them.</summary>
    public EvidenceRow ToRow()
    {
        var all = Strongest();
        return new EvidenceRow(Key, Weight, all.Length > MaxNeighbors ? all[..MaxNeighbors] : all);
    }

    /// <summary>Drops every neighbour below the strongest <see cref="MaxNeighbors"/>.</summary>
    private void Prune()
    {
        var all = Strongest();
        for (var i = MaxNeighbors; i < all.Length; i++) _pairs.Remove(all[i].Key);
    }

    /// <summary>Every neighbour held, strongest first, ties by key (ordinal): the order a row is published and pruned in.</summary>
    /// <remarks>An array sort, not LINQ: publishing and pruning rows was a fifth of the streaming learner's time.</remarks>
    private Neighbor[] Strongest()
    {
        var all = new Neighbor[_pairs.Count];
        var i = 0;
        foreach (var (key, value) in _pairs) all[i++] = new Neighbor(key, value);
        all.AsSpan().Sort(new StrongestFirst());
        return all;
    }

    /// <summary>A struct comparer, so the sort is specialised and inlined rather than calling a delegate per comparison.</summary>
    private readonly struct StrongestFirst : IComparer<Neighbor>
    {
        public int Compare(Neighbor a, Neighbor b)
        {
            var byWeight = b.PairWeight.CompareTo(a.PairWeight);
            return byWeight != 0 ? byWeight : string.CompareOrdinal(a.Key, b.Key);
        }
    }
}
