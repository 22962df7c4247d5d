namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// A gradient-boosted tree ensemble as plain arrays, scored without any machine-learning runtime: the serving path
/// needs no ML library, allocates nothing, and the model travels as a few hundred kilobytes. A node goes left when
/// <c>x[feature] &lt;= threshold</c>; a negative child <c>~i</c> is leaf i of that tree (LightGBM's layout, as
/// Microsoft.ML exports it). Score = bias + Σ weight_t · leaf value.
/// </summary>
public sealed class TreeEnsemble
{
    private readonly int[] _treeNodeStart;   // per tree: index of its root in the node array
    private readonly int[] _treeLeafStart;   // per tree: index of its first leaf value
    private readonly Node[] _nodes;          // one 16-byte record per split: a visit touches one cache line
    private readonly double[] _leafValue;    // leaf values already multiplied by their tree's weight
    private readonly bool[] _stump;

    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);

    public TreeEnsemble(IReadOnlyList<Tree> trees, double bias, int featureCount)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount));
        FeatureCount = featureCount;
        Bias = bias;
        Trees = trees;
        _treeNodeStart = new int[trees.Count];
        _treeLeafStart = new int[trees.Count];
        _stump = new bool[trees.Count];
        var nodes = trees.Sum(t => t.Feature.Length);
        var leaves = trees.Sum(t => t.LeafValue.Length);
        _nodes = new Node[nodes];
        _leafValue = new double[leaves];
        int n = 0, l = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            tree.Validate(featureCount);
            _treeNodeStart[t] = n;
            _treeLeafStart[t] = l;
            _stump[t] = tree.Feature.Length == 0;
            for (var i = 0; i < tree.Feature.Length; i++)
                _nodes[n + i] = new Node(tree.Feature[i], tree.Threshold[i], tree.Left[i], tree.Right[i]);
            for (var i = 0; i < tree.LeafValue.Length; i++) _leafValue[l + i] = tree.Weight * tree.LeafValue[i];
            n += tree.Feature.Length;
            l += tree.LeafValue.Length;
        }
    }

    public int FeatureCount { get; }
    public double Bias { get; }
    public IReadOnlyList<Tree> Trees { get; }

    public double Score(ReadOnlySpan<float> x)
    {
        if (x.Length < FeatureCount) throw new ArgumentException($"expected {FeatureCount} features, got {x.Length}", nameof(x));
        var sum = Bias;
        var nodes = _nodes.AsSpan();
        for (var t = 0; t < _treeNodeStart.Length; t++)
        {
            var leafStart = _treeLeafStart[t];
            // A stump (one leaf, no split) has no nodes.
            if (_stump[t])
            {
                sum += _leafValue[leafStart];
                continue;
            }
            var tree = nodes[_treeNodeStart[t]..];
            var node = 0;
            do
            {
                ref readonly var split = ref tree[node];
                node = x[split.Feature] <= split.Threshold ? split.Left : split.Right;
            }
            while (node >= 0);
            sum += _leafValue[leafStart + ~node];
        }
        return sum;
    }

    /// <summary>
    /// Scores <paramref name="output"/>.Length rows of <see cref="FeatureCount"/> features each. Tree by tree, four rows
    /// walk each tree side by side: four independent chains of loads the CPU overlaps, instead of one at a time. The
    /// result is exactly <see cref="Score"/>'s (same additions in the same order).
    /// </summary>
    public void ScoreMany(ReadOnlySpan<float> rows, Span<double> output)
    {
        var f = FeatureCount;
        var count = output.Length;
        if (rows.Length < count * f) throw new ArgumentException($"expected {count} rows of {f} features", nameof(rows));
        output.Fill(Bias);
        var nodes = _nodes.AsSpan();
        for (var t = 0; t < _treeNodeStart.Length; t++)
        {
            var leafStart = _treeLeafStart[t];
            if (_stump[t])
            {
                for (var r = 0; r < count; r++) output[r] += _leafValue[leafStart];
                continue;
            }
            var tree = nodes[_treeNodeStart[t]..];
            var i = 0;
            for (; i + 4 <= count; i += 4)
            {
                var x0 = rows.Slice(i * f, f);
                var x1 = rows.Slice((i + 1) * f, f);
                var x2 = rows.Slice((i + 2) * f, f);
                var x3 = rows.Slice((i + 3) * f, f);
                int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
                while ((n0 & n1 & n2 & n3) >= 0) // until all four reached a leaf (all negative)
                {
                    if (n0 >= 0) { ref readonly var s0 = ref tree[n0]; n0 = x0[s0.Feature] <= s0.Threshold ? s0.Left : s0.Right; }
                    if (n1 >= 0) { ref readonly var s1 = ref tree[n1]; n1 = x1[s1.Feature] <= s1.Threshold ? s1.Left : s1.Right; }
                    if (n2 >= 0) { ref readonly var s2 = ref tree[n2]; n2 = x2[s2.Feature] <= s2.Threshold ? s2.Left : s2.Right; }
                    if (n3 >= 0) { ref readonly var s3 = ref tree[n3]; n3 = x3[s3.Feature] <= s3.Threshold ? s3.Left : s3.Right; }
                }
                output[i] += _leafValue[leafStart + ~n0];
                output[i + 1] += _leafValue[leafStart + ~n1];
                output[i + 2] += _leafValue[leafStart + ~n2];
                output[i + 3] += _leafValue[leafStart + ~n3];
            }
            for (; i < count; i++)
            {
                var x = rows.Slice(i * f, f);
                var node = 0;
                do
                {
                    ref readonly var split = ref tree[node];
                    node = x[split.Feature] <= split.Threshold ? split.Left : split.Right;
                }
                while (node >= 0);
                output[i] += _leafValue[leafStart + ~node];
            }
        }
    }

    /// <summary>One regression tree: split nodes (feature, threshold, children) and leaf values.</summary>
    public sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] LeafValue, double Weight = 1)
    {
        internal void Validate(int featureCount)
        {
            var nodes = Feature.Length;
            if (Threshold.Length != nodes || Left.Length != nodes || Right.Length != nodes)
                throw new ArgumentException("a tree's node arrays must have one length");
            if (LeafValue.Length != nodes + 1) throw new ArgumentException("a binary tree has one leaf more than it has splits");
            for (var i = 0; i < nodes; i++)
            {
                if (Feature[i] < 0 || Feature[i] >= featureCount) throw new ArgumentException($"node {i} splits on feature {Feature[i]}, outside 0..{featureCount - 1}");
                foreach (var child in new[] { Left[i], Right[i] })
                {
                    if (child >= 0 ? child <= i || child >= nodes : ~child >= LeafValue.Length)
                        throw new ArgumentException($"node {i} has an invalid child {child}");
                }
                if (float.IsNaN(Threshold[i])) throw new ArgumentException($"node {i} has a NaN threshold");
            }
            if (LeafValue.Any(v => !double.IsFinite(v)) || !double.IsFinite(Weight)) throw new ArgumentException("leaf values and weights must be finite");
        }
    }
}
