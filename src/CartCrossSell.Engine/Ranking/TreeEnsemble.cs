namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// A gradient-boosted tree ensemble as plain arrays, scored without any machine-learning runtime: the serving path
/// needs no ML library, allocates nothing, and the model travels as a few hundred kilobytes. A node goes left when
/// <c>x[feature] &lt;= threshold</c>; a negative child <c>~i</c> is leaf i of that tree (LightGBM's layout, as
/// Microsoft.ML exports it). Score = bias + Σ weight_t · leaf value.
/// </summary>
public sealed class TreeEnsemble
{
    private readonly int[] _treeNodeStart;   // per tree: index of its root in the node arrays
    private readonly int[] _treeLeafStart;   // per tree: index of its first leaf value
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly double[] _leafValue;
    private readonly double[] _treeWeight;

    public TreeEnsemble(IReadOnlyList<Tree> trees, double bias, int featureCount)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount));
        FeatureCount = featureCount;
        Bias = bias;
        Trees = trees;
        _treeNodeStart = new int[trees.Count];
        _treeLeafStart = new int[trees.Count];
        _treeWeight = new double[trees.Count];
        var nodes = trees.Sum(t => t.Feature.Length);
        var leaves = trees.Sum(t => t.LeafValue.Length);
        _feature = new int[nodes];
        _threshold = new float[nodes];
        _left = new int[nodes];
        _right = new int[nodes];
        _leafValue = new double[leaves];
        int n = 0, l = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            tree.Validate(featureCount);
            _treeNodeStart[t] = n;
            _treeLeafStart[t] = l;
            _treeWeight[t] = tree.Weight;
            tree.Feature.CopyTo(_feature, n);
            tree.Threshold.CopyTo(_threshold, n);
            tree.Left.CopyTo(_left, n);
            tree.Right.CopyTo(_right, n);
            tree.LeafValue.CopyTo(_leafValue, l);
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
        for (var t = 0; t < _treeNodeStart.Length; t++)
        {
            var start = _treeNodeStart[t];
            var leafStart = _treeLeafStart[t];
            // A stump (one leaf, no split) has no nodes.
            if (t + 1 < _treeNodeStart.Length ? _treeNodeStart[t + 1] == start : _feature.Length == start)
            {
                sum += _treeWeight[t] * _leafValue[leafStart];
                continue;
            }
            var node = 0;
            while (node >= 0)
            {
                var i = start + node;
                node = x[_feature[i]] <= _threshold[i] ? _left[i] : _right[i];
            }
            sum += _treeWeight[t] * _leafValue[leafStart + ~node];
        }
        return sum;
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
