using CartCrossSell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Engine.Tests;

/// <summary>
/// A row's pruning and publication select the strongest neighbours instead of sorting them all: what is kept and what
/// is published must be exactly what a full sort (strongest first, ties by key, ordinal) gives.
/// </summary>
public class EvidenceAccumulatorTests
{
    /// <summary>Neighbours with distinct keys and weights drawn from few values, so ties (broken by key) are common.</summary>
    private static Gen<Neighbor[]> Neighbours() =>
        Gen.Choose(0, 700).SelectMany(n => Gen.Choose(0, 6).ArrayOf(n).Select(weights =>
            weights.Select((w, i) => new Neighbor($"item:{(i * 7919) % 1000:D3}-{i}", w * 0.5)).ToArray()));

    private static Neighbor[] FullSort(IEnumerable<Neighbor> pairs) =>
        pairs.OrderByDescending(p => p.PairWeight).ThenBy(p => p.Key, StringComparer.Ordinal).ToArray();

    private static IEnumerable<Neighbor> ByKey(IEnumerable<Neighbor> pairs) => pairs.OrderBy(p => p.Key, StringComparer.Ordinal);

    [Property(MaxTest = 300)]
    public Property Selecting_the_strongest_puts_the_same_set_first_as_a_full_sort() =>
        Prop.ForAll(Neighbours().ToArbitrary(), Gen.Choose(0, 400).ToArbitrary(), (pairs, count) =>
        {
            var items = pairs.ToArray();
            var selected = EvidenceAccumulator.SelectStrongest(items, count);
            var expected = FullSort(pairs).Take(count).Select(p => p.Key).Order(StringComparer.Ordinal);
            return selected == Math.Min(count, pairs.Length)
                && items.Take(selected).Select(p => p.Key).Order(StringComparer.Ordinal).SequenceEqual(expected)
                && ByKey(items).SequenceEqual(ByKey(pairs)); // a permutation: nothing lost or duplicated
        });

    [Property(MaxTest = 200)]
    public Property A_row_keeps_and_publishes_what_sorting_every_pair_would() =>
        Prop.ForAll(Neighbours().ListOf().ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), (contributions, maxNeighbours) =>
        {
            var row = new EvidenceAccumulator("item:a", maxNeighbours);
            var reference = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var pairs in contributions)
            {
                // The list form goes through the enumerable path, the array form through the array path.
                if (pairs.Length % 2 == 0) row.Apply(1, pairs);
                else row.Apply(1, pairs.ToList());
                foreach (var p in pairs) reference[p.Key] = reference.GetValueOrDefault(p.Key) + p.PairWeight;
                if (reference.Count >= 2 * maxNeighbours)
                    foreach (var dropped in FullSort(reference.Select(kv => new Neighbor(kv.Key, kv.Value))).Skip(maxNeighbours))
                        reference.Remove(dropped.Key);
            }
            var published = row.ToRow().Neighbors;
            var expected = FullSort(reference.Select(kv => new Neighbor(kv.Key, kv.Value))).Take(maxNeighbours);
            return published.SequenceEqual(expected)
                && ByKey(row.AllPairs).SequenceEqual(ByKey(reference.Select(kv => new Neighbor(kv.Key, kv.Value))))
                && row.Weight == contributions.Count;
        });
}
