using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>Seeded random regression trees for the tests of <see cref="TreeEnsemble"/> and its cascade.</summary>
internal static class RandomTrees
{
    /// <summary>
    /// A random binary tree of <paramref name="splits"/> splits over <paramref name="features"/> features: each split
    /// gets its children from later splits and leaves, so every shape (chains, balanced, leaning) occurs. Leaves are
    /// numbered in the order their parents were made, or at random with <paramref name="shuffleLeaves"/> (LightGBM's
    /// numbering is not left to right either). Leaf values in [-1, 1), the tree's weight in [0.5, 1.5).
    /// </summary>
    public static TreeEnsemble.Tree Tree(Random rng, int splits, int features, Func<Random, float> threshold, bool shuffleLeaves)
    {
        var feature = new int[splits];
        var thresholds = new float[splits];
        var left = new int[splits];
        var right = new int[splits];
        var open = new List<(int Node, bool Left)>();
        for (var i = 0; i < splits; i++)
        {
            feature[i] = rng.Next(features);
            thresholds[i] = threshold(rng);
            if (i > 0)
            {
                var at = rng.Next(open.Count);
                var (parent, isLeft) = open[at];
                open.RemoveAt(at);
                if (isLeft) left[parent] = i; else right[parent] = i;
            }
            open.Add((i, true));
            open.Add((i, false));
        }
        var numbers = Enumerable.Range(0, open.Count).ToArray();
        if (shuffleLeaves) numbers = [.. numbers.OrderBy(_ => rng.Next())];
        var leaves = 0;
        foreach (var (parent, isLeft) in open)
            if (isLeft) left[parent] = ~numbers[leaves++]; else right[parent] = ~numbers[leaves++];
        var values = Enumerable.Range(0, splits + 1).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        return new TreeEnsemble.Tree(feature, thresholds, left, right, values, 0.5 + rng.NextDouble());
    }
}
