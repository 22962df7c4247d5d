using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>
/// The two ways <see cref="TreeEnsemble"/> scores many rows (bit vectors, eight rows per block, and the walk) against
/// the one-row walk <see cref="TreeEnsemble.Score"/>: the same score, bit for bit, for any tree shape and any value.
/// </summary>
public class TreeEnsembleTests
{
    private const int Features = 6;

    // Every value a feature row can hold that a comparison might treat differently: the thresholds themselves,
    // both zeros, infinities, NaN and subnormals.
    private static readonly float[] Thresholds = [-1f, -0.25f, 0f, 0.5f, 1f, 3f];
    private static readonly float[] Values = [.. Thresholds, -0f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0.75f, -7f, 1e-40f, -1e-40f];

    /// <summary>A random tree over <see cref="Features"/> features, thresholds from <see cref="Thresholds"/>, leaves numbered at random.</summary>
    private static TreeEnsemble.Tree RandomTree(Random rng, int splits) =>
        RandomTrees.Tree(rng, splits, Features, r => Thresholds[r.Next(Thresholds.Length)], shuffleLeaves: true);

    private static float[] RandomRows(Random rng, int count)
    {
        var rows = new float[count * Features];
        for (var i = 0; i < rows.Length; i++) rows[i] = Values[rng.Next(Values.Length)];
        return rows;
    }

    private static void AssertSameBits(double expected, double actual, string what) =>
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{what}: {expected:R} expected, {actual:R} scored");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Bit_vectors_and_the_walk_score_every_row_exactly_as_the_one_row_walk(int seed)
    {
        var rng = new Random(seed);
        // Stumps, small trees, the trainer's 15 leaves, exactly 32 leaves (the widest bit vector) and wider trees
        // that are walked.
        var trees = new[] { 0, 1, 2, 7, 14, 30, 31, 32, 40 }
            .Concat(Enumerable.Range(0, 20).Select(_ => rng.Next(0, 45)))
            .Select(splits => RandomTree(rng, splits)).ToList();
        var ways = Enum.GetValues<TreeEnsemble.RowScoring>().Select(way => new TreeEnsemble(trees, 0.3, Features) { Scoring = way }).ToList();
        // Counts below, at and between blocks of eight rows.
        foreach (var count in new[] { 0, 1, 3, 4, 5, 7, 8, 9, 16, 23, 61 })
        {
            var rows = RandomRows(rng, count);
            foreach (var e in ways)
            {
                var scores = new double[count];
                e.ScoreMany(rows, scores);
                for (var r = 0; r < count; r++)
                    AssertSameBits(e.Score(rows.AsSpan(r * Features, Features)), scores[r], $"{e.Scoring}, row {r} of {count}");
            }
        }
    }

    [Fact]
    public void Trees_of_up_to_32_leaves_are_bit_vectors_and_wider_ones_are_walked()
    {
        var rng = new Random(3);
        var e = new TreeEnsemble([RandomTree(rng, 31), RandomTree(rng, 32), RandomTree(rng, 14), RandomTree(rng, 0)], 0, Features);
        // 32 leaves and 15 leaves; 33 leaves is walked, a stump needs neither.
        Assert.Equal(2, e.BitVectorTrees);
    }

    /// <summary>Splits i = 0..n-1 whose two children are both split i + 1 (the last one's are leaves 0 and 1): 2^n paths.</summary>
    private static TreeEnsemble.Tree Ladder(int splits)
    {
        var feature = Enumerable.Range(0, splits).Select(i => i % Features).ToArray();
        var threshold = Enumerable.Range(0, splits).Select(i => Thresholds[i % Thresholds.Length]).ToArray();
        var left = Enumerable.Range(0, splits).Select(i => i + 1 < splits ? i + 1 : ~0).ToArray();
        var right = Enumerable.Range(0, splits).Select(i => i + 1 < splits ? i + 1 : ~1).ToArray();
        var values = Enumerable.Range(0, splits + 1).Select(i => 0.25 * i - 1).ToArray();
        return new TreeEnsemble.Tree(feature, threshold, left, right, values);
    }

    /// <summary>A chain of splits, each going left to the next; the last one's children are leaves.</summary>
    private static TreeEnsemble.Tree LeftChain(int splits)
    {
        var feature = Enumerable.Range(0, splits).Select(i => i % Features).ToArray();
        var threshold = Enumerable.Range(0, splits).Select(i => Thresholds[i % Thresholds.Length]).ToArray();
        var left = Enumerable.Range(0, splits).Select(i => i + 1 < splits ? i + 1 : ~splits).ToArray();
        var right = Enumerable.Range(0, splits).Select(i => ~i).ToArray();
        var values = Enumerable.Range(0, splits + 1).Select(i => 0.001 * i).ToArray();
        return new TreeEnsemble.Tree(feature, threshold, left, right, values);
    }

    [Theory]
    [InlineData("BitVectors")]
    [InlineData("WideBitVectors")]
    public void Shared_splits_and_very_deep_trees_score_as_the_walk_scores_them(string way)
    {
        // A ladder of 5 shared splits unrolls into 32 paths (bit vectors), 6 into 64 (walked); a chain 100,000 splits
        // deep is walked without a deep recursion, and one of 31 splits is still a bit vector.
        var trees = new[] { Ladder(5), Ladder(6), LeftChain(100_000), LeftChain(31) };
        var e = new TreeEnsemble(trees, 0, Features) { Scoring = Enum.Parse<TreeEnsemble.RowScoring>(way) };
        Assert.Equal(2, e.BitVectorTrees);
        var rng = new Random(11);
        var rows = RandomRows(rng, 21);
        var scores = new double[21];
        e.ScoreMany(rows, scores);
        for (var r = 0; r < 21; r++) AssertSameBits(e.Score(rows.AsSpan(r * Features, Features)), scores[r], $"row {r}");
    }

    [Theory]
    [InlineData("BitVectors")]
    [InlineData("WideBitVectors")]
    public void Trees_added_in_parts_by_bit_vectors_give_the_full_score(string way)
    {
        var rng = new Random(9);
        var trees = Enumerable.Range(0, 25).Select(t => RandomTree(rng, t % 5 == 0 ? 35 : 14)).ToList();
        var e = new TreeEnsemble(trees, -0.2, Features) { Scoring = Enum.Parse<TreeEnsemble.RowScoring>(way) };
        var rows = RandomRows(rng, 19);
        var full = new double[19];
        e.ScoreMany(rows, full);
        var parts = new double[19];
        parts.AsSpan().Fill(e.Bias);
        e.AddTrees(rows, parts, 0, 11);
        e.AddTrees(rows, parts, 11, 11);
        e.AddTrees(rows, parts, 11, 25);
        for (var r = 0; r < 19; r++) AssertSameBits(full[r], parts[r], $"row {r}");
    }

    [Theory]
    [InlineData("BitVectors")]
    [InlineData("WideBitVectors")]
    public void A_leaf_reached_by_two_paths_is_scored_as_the_walk_reaches_it(string way)
    {
        // Leaf 0 is the left child of node 0 and of node 1 (leaf 2 is never reached): the format allows a leaf under
        // two parents, and the bit vectors number it once per path.
        var tree = new TreeEnsemble.Tree(
            Feature: [0, 1],
            Threshold: [0f, 0f],
            Left: [~0, ~0],
            Right: [1, ~1],
            LeafValue: [1.5, -2.0, 99.0]);
        var e = new TreeEnsemble([tree], 0, Features) { Scoring = Enum.Parse<TreeEnsemble.RowScoring>(way) };
        var rows = new float[] { -1, 0, 0, 0, 0, 0, /**/ 1, -1, 0, 0, 0, 0, /**/ 1, 1, 0, 0, 0, 0 };
        var scores = new double[3];
        e.ScoreMany(rows, scores);
        Assert.Equal([1.5, 1.5, -2.0], scores);
    }
}
