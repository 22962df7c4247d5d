using System.Runtime.InteropServices;

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
        // One hash lookup per pair (not a read and a write), and no boxed enumerator for the arrays the learner passes:
        // this loop is the streaming aggregator's hottest code.
        if (pairs is Neighbor[] array)
            foreach (var pair in array) Add(pair);
        else
            foreach (var pair in pairs) Add(pair);
        if (_pairs.Count >= 2 * MaxNeighbors) Prune();
    }

    private void Add(Neighbor pair) => CollectionsMarshal.GetValueRefOrAddDefault(_pairs, pair.Key, out _) += pair.PairWeight;

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
        var all = Snapshot();
        var strongest = all.Length > MaxNeighbors ? all.AsSpan(0, SelectStrongest(all, MaxNeighbors)) : all;
        strongest.Sort(new StrongestFirst());
        return new EvidenceRow(Key, Weight, strongest.Length == all.Length ? all : strongest.ToArray());
    }

    /// <summary>Drops every neighbour below the strongest <see cref="MaxNeighbors"/>.</summary>
    private void Prune()
    {
        var all = Snapshot();
        for (var i = SelectStrongest(all, MaxNeighbors); i < all.Length; i++) _pairs.Remove(all[i].Key);
    }

    private Neighbor[] Snapshot()
    {
        var all = new Neighbor[_pairs.Count];
        var i = 0;
        foreach (var (key, value) in _pairs) all[i++] = new Neighbor(key, value);
        return all;
    }

    /// <summary>
    /// Moves the <paramref name="count"/> strongest neighbours (strongest first, ties by key, ordinal: the order a row
    /// is published and pruned in) to the front, in no particular order, and returns <paramref name="count"/>.
    /// </summary>
    /// <remarks>
    /// A selection (<see cref="Selection.SelectFirst"/>), not a sort: a row is pruned from twice its bound to its bound
    /// and published as its bound's strongest, so sorting every pair of it spent most comparisons on pairs about to be
    /// dropped; pruning and publishing rows were a tenth of the streaming learner's time. Keys are distinct, so the
    /// order is total and the set selected is the one a full sort would put first.
    /// </remarks>
    internal static int SelectStrongest(Span<Neighbor> items, int count) => Selection.SelectFirst(items, count, new StrongestFirst());

    /// <summary>A struct comparer: the selection calls it directly (Span.Sort still wraps it in a delegate, a perf profile showed).</summary>
    private readonly struct StrongestFirst : IComparer<Neighbor>
    {
        public int Compare(Neighbor a, Neighbor b)
        {
            var byWeight = b.PairWeight.CompareTo(a.PairWeight);
            return byWeight != 0 ? byWeight : string.CompareOrdinal(a.Key, b.Key);
        }
    }
}
