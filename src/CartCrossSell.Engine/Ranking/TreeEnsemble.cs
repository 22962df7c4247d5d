using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    // The same trees as bit vectors (QuickScorer, Lucchese et al., SIGIR 2015), for trees of at most 32 leaves; the
    // layout of AddTrees' fast path, described there. Per tree: its first split in _bitNodes (-1: more than 32
    // leaves, walked instead) and its first leaf value in _bitLeafValue, leaves numbered left to right.
    private readonly int[] _bitNodeStart;
    private readonly int[] _bitNodeEnd;
    private readonly int[] _bitLeafStart;
    private readonly BitNode[] _bitNodes;
    private readonly double[] _bitLeafValue;

    /// <summary>
    /// A split as a bit vector: a row that goes right at it (not <c>x[feature] &lt;= threshold</c>) cannot end in a
    /// leaf of its left subtree, whose bits <see cref="Mask"/> clears. <see cref="Column"/> is the feature's offset in
    /// a block of eight transposed rows.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct BitNode(int Column, float Threshold, uint Mask);

    /// <summary>
    /// Trees of at most this many leaves are scored as bit vectors: one bit per leaf in a 32-bit lane. LightGBM's
    /// defaults and the trainer's (15 leaves) are well inside.
    /// </summary>
    internal const int MaxBitVectorLeaves = 32;

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Node(int feature, float threshold, int left, int right)
    {
        public readonly int Feature = feature;
        public readonly float Threshold = threshold;
        public readonly int Left = left;
        public readonly int Right = right;   // right after Left: Step reads it as Left's neighbour
    }

    public TreeEnsemble(IReadOnlyList<Tree> trees, double bias, int featureCount)
    {
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount));
        if (!double.IsFinite(bias)) throw new ArgumentException("the bias must be finite", nameof(bias));
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
        _bitNodeStart = new int[trees.Count];
        _bitNodeEnd = new int[trees.Count];
        _bitLeafStart = new int[trees.Count];
        var bitNodes = new List<BitNode>(nodes);
        var bitLeaves = new List<double>(leaves);
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
            _bitLeafStart[t] = bitLeaves.Count;
            _bitNodeStart[t] = bitNodes.Count;
            if (!_stump[t] && !TryBitVectors(tree, bitNodes, bitLeaves)) _bitNodeStart[t] = -1;
            _bitNodeEnd[t] = bitNodes.Count;
        }
        // Each leaf finite is not enough: a weight times a leaf, or the sum over trees, can still overflow, and an
        // infinite score calibrates to NaN. Bounded by the largest sum any row can reach, every score is finite.
        var largest = Math.Abs(bias);
        for (var t = 0; t < trees.Count; t++)
        {
            var most = 0.0;
            for (var i = 0; i < trees[t].LeafValue.Length; i++) most = Math.Max(most, Math.Abs(_leafValue[_treeLeafStart[t] + i]));
            largest += most;
        }
        if (!double.IsFinite(largest)) throw new ArgumentException("the trees' weighted leaf values can sum beyond a finite score");
        _bitNodes = [.. bitNodes];
        _bitLeafValue = [.. bitLeaves];
    }

    /// <summary>
    /// Appends <paramref name="tree"/>'s splits and its weighted leaf values, leaves numbered left to right, or appends
    /// nothing and returns false when it has more than <see cref="MaxBitVectorLeaves"/> leaves. A leaf reached by two
    /// paths (the format allows it, LightGBM never writes it) is numbered once per path, as the walk would reach it.
    /// </summary>
    private static bool TryBitVectors(Tree tree, List<BitNode> nodes, List<double> leaves)
    {
        var nodeStart = nodes.Count;
        var leafStart = leaves.Count;
        if (Visit(0, 0)) return true;
        nodes.RemoveRange(nodeStart, nodes.Count - nodeStart);
        leaves.RemoveRange(leafStart, leaves.Count - leafStart);
        return false;

        // A tree of at most 32 leaves is at most 31 splits deep: deeper, it is walked, and the recursion stays short
        // whatever shape a model's bytes describe.
        bool Visit(int node, int depth)
        {
            if (node < 0)
            {
                if (leaves.Count - leafStart == MaxBitVectorLeaves) return false;
                leaves.Add(tree.Weight * tree.LeafValue[~node]);
                return true;
            }
            if (depth == MaxBitVectorLeaves - 1) return false;
            var first = leaves.Count - leafStart;
            if (!Visit(tree.Left[node], depth + 1)) return false;
            var end = leaves.Count - leafStart;
            // The left subtree's leaves are first..end-1, one contiguous run of bits.
            var leftLeaves = (uint)(((1UL << end) - 1) ^ ((1UL << first) - 1));
            nodes.Add(new BitNode(tree.Feature[node] * Block, tree.Threshold[node], ~leftLeaves));
            return Visit(tree.Right[node], depth + 1);
        }
    }

    /// <summary>Rows scored side by side by the bit-vector path: one 32-bit lane each in two 128-bit vectors.</summary>
    private const int Block = 8;

    /// <summary>Rows scored side by side by the wide bit-vector path: one 32-bit lane each in one 512-bit vector.</summary>
    private const int WideBlock = 16;

    /// <summary>A wide block's sixteen scores as four 256-bit registers.</summary>
    private static (Vector256<double>, Vector256<double>, Vector256<double>, Vector256<double>) Load(ref double scores) =>
        (Vector256.LoadUnsafe(ref scores), Vector256.LoadUnsafe(ref scores, 4), Vector256.LoadUnsafe(ref scores, 8), Vector256.LoadUnsafe(ref scores, 12));

    private static void Store(ref double scores, Vector256<double> s0, Vector256<double> s1, Vector256<double> s2, Vector256<double> s3)
    {
        s0.StoreUnsafe(ref scores);
        s1.StoreUnsafe(ref scores, 4);
        s2.StoreUnsafe(ref scores, 8);
        s3.StoreUnsafe(ref scores, 12);
    }

    /// <summary>How <see cref="AddTrees"/> scores many rows; both ways give the same scores, bit for bit.</summary>
    internal enum RowScoring
    {
        /// <summary>Each row walks each tree (eight rows side by side).</summary>
        Walk,
        /// <summary>Bit vectors, the eight rows of a block as two 128-bit vectors (SSE on x64, NEON on ARM64).</summary>
        BitVectors,
        /// <summary>Bit vectors, sixteen rows of a block as one 512-bit vector (AVX-512).</summary>
        WideBitVectors,
    }

    /// <summary>
    /// Wide bit vectors where the CPU runs them (<see cref="WideBitVectorsSupported"/>), else bit vectors where it has
    /// 128-bit vectors in hardware, else the walk. Tests set each way to hold them to one another.
    /// </summary>
    internal RowScoring Scoring { get; init; } =
        WideBitVectorsSupported ? RowScoring.WideBitVectors : Vector128.IsHardwareAccelerated ? RowScoring.BitVectors : RowScoring.Walk;

    /// <summary>
    /// Whether this CPU runs the wide path: 512-bit vectors, AVX-512's leading-zero count and AVX2's gathers. Elsewhere
    /// <see cref="RowScoring.WideBitVectors"/> scores as <see cref="RowScoring.BitVectors"/>.
    /// </summary>
    internal static bool WideBitVectorsSupported => Vector512.IsHardwareAccelerated && Avx512CD.IsSupported && Avx2.IsSupported;

    public int FeatureCount { get; }
    public double Bias { get; }
    public IReadOnlyList<Tree> Trees { get; }

    public int TreeCount => _treeNodeStart.Length;

    /// <summary>How many trees the bit-vector path scores as bit vectors (the others are stumps or walked).</summary>
    internal int BitVectorTrees => _bitNodeStart.Where((start, t) => start >= 0 && !_stump[t]).Count();

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
    /// Scores <paramref name="output"/>.Length rows of <see cref="FeatureCount"/> features each, eight at a time
    /// (<see cref="AddTrees"/>). The result is exactly <see cref="Score"/>'s (same additions in the same order).
    /// </summary>
    public void ScoreMany(ReadOnlySpan<float> rows, Span<double> output)
    {
        output.Fill(Bias);
        AddTrees(rows, output, 0, _treeNodeStart.Length);
    }

    /// <summary>
    /// Adds trees <paramref name="firstTree"/> to <paramref name="endTree"/> (exclusive) to the scores in
    /// <paramref name="output"/>, one per row: <see cref="ScoreMany"/> is the bias and then every tree, so scoring the
    /// first trees of every row and the rest of some rows later gives those rows exactly <see cref="Score"/>'s result
    /// (the same additions in the same order).
    /// </summary>
    public void AddTrees(ReadOnlySpan<float> rows, Span<double> output, int firstTree, int endTree)
    {
        var f = FeatureCount;
        var count = output.Length;
        if (rows.Length < count * f) throw new ArgumentException($"expected {count} rows of {f} features", nameof(rows));
        if (firstTree < 0 || endTree > _treeNodeStart.Length || firstTree > endTree)
            throw new ArgumentOutOfRangeException(nameof(firstTree), $"trees {firstTree}..{endTree} outside 0..{_treeNodeStart.Length}");
        switch (Scoring)
        {
            case RowScoring.WideBitVectors when WideBitVectorsSupported: AddTreesAsWideBitVectors(rows, output, firstTree, endTree); break;
            case RowScoring.WideBitVectors or RowScoring.BitVectors: AddTreesAsBitVectors(rows, output, firstTree, endTree); break;
            default: AddTreesByWalking(rows, output, firstTree, endTree); break;
        }
    }

    /// <summary>
    /// <see cref="AddTreesAsBitVectors"/> with sixteen rows per block in one 512-bit vector: per split one load of a
    /// feature's sixteen values, one comparison and two bit operations, where the narrow path needs two of each per
    /// eight rows. What makes it pay: the block's scores stay in registers from the first tree to the last, and the
    /// sixteen exit leaves are found and their values gathered without a per-row loop (the narrow path loads, adds and
    /// stores each row's score once per tree). The same bits, leaves and additions in the same order, so the same scores.
    /// </summary>
    private unsafe void AddTreesAsWideBitVectors(ReadOnlySpan<float> rows, Span<double> output, int firstTree, int endTree)
    {
        var f = FeatureCount;
        var count = output.Length;
        var columns = f <= 128 ? stackalloc float[f * WideBlock] : new float[f * WideBlock];
        Span<double> scores = stackalloc double[WideBlock];
        ref var column = ref MemoryMarshal.GetReference(columns);
        ref var score = ref MemoryMarshal.GetReference(scores);
        ref var firstBitNode = ref MemoryMarshal.GetArrayDataReference(_bitNodes);
        var lastBit = Vector512.Create(31u);
        fixed (double* leafValues = _bitLeafValue)
        {
            for (var i = 0; i < count; i += WideBlock)
            {
                var block = Math.Min(WideBlock, count - i);
                // Feature k of row r at k * 16 + r; a split's Column (k * 8) is doubled below.
                if (block < WideBlock) scores.Clear();
                Transpose(rows.Slice(i * f, block * f), f, columns, WideBlock);
                // The block's scores stay in four registers across the trees: each row still gets its trees' values added
                // one by one in tree order, as Score adds them.
                output.Slice(i, block).CopyTo(scores);
                var (s0, s1, s2, s3) = Load(ref score);
                for (var t = firstTree; t < endTree; t++)
                {
                    if (_stump[t])
                    {
                        var value = Vector256.Create(_leafValue[_treeLeafStart[t]]);
                        s0 += value;
                        s1 += value;
                        s2 += value;
                        s3 += value;
                        continue;
                    }
                    var start = _bitNodeStart[t];
                    if (start < 0)
                    {
                        Store(ref score, s0, s1, s2, s3);
                        WalkTree(t, rows.Slice(i * f, block * f), scores[..block]);
                        (s0, s1, s2, s3) = Load(ref score);
                        continue;
                    }
                    var alive = Vector512<uint>.AllBitsSet;
                    for (var s = start; s < _bitNodeEnd[t]; s++)
                    {
                        ref readonly var split = ref Unsafe.Add(ref firstBitNode, s);
                        var values = Vector512.LoadUnsafe(ref column, (nuint)split.Column * (WideBlock / Block));
                        alive &= Vector512.LessThanOrEqual(values, Vector512.Create(split.Threshold)).AsUInt32() | Vector512.Create(split.Mask);
                    }
                    // The lowest bit left is the leaf: its index is 31 minus the leading zeros of that bit alone (every
                    // lane has one: some leaf is always reached), and the leaf values are gathered four at a time.
                    var lowest = alive & (Vector512<uint>.Zero - alive);
                    var leaf = (lastBit - Avx512CD.LeadingZeroCount(lowest) + Vector512.Create((uint)_bitLeafStart[t])).AsInt32();
                    var (l, h) = (leaf.GetLower(), leaf.GetUpper());
                    s0 += Avx2.GatherVector256(leafValues, l.GetLower(), sizeof(double));
                    s1 += Avx2.GatherVector256(leafValues, l.GetUpper(), sizeof(double));
                    s2 += Avx2.GatherVector256(leafValues, h.GetLower(), sizeof(double));
                    s3 += Avx2.GatherVector256(leafValues, h.GetUpper(), sizeof(double));
                }
                Store(ref score, s0, s1, s2, s3);
                scores[..block].CopyTo(output.Slice(i, block));
            }
        }
    }

    /// <summary>
    /// The fast path of <see cref="AddTrees"/> (QuickScorer's idea, eight rows per block in two 128-bit vectors). A
    /// tree of at most 32 leaves is a bit per leaf, numbered left to right. A row starts with every bit set; every
    /// split where it goes right clears the bits of that split's left subtree; the lowest bit left is the leaf the
    /// walk reaches (the leftmost leaf no split ruled out). Every split of the tree is tested, not only those on the
    /// path, but without a branch or a dependent load: eight rows are transposed into columns once per block, and each
    /// split is, per four rows, one load of a feature's four values, one comparison and two bit operations. Measured
    /// on the trainer's 15-leaf trees: see docs/benchmarks.md. Trees of more leaves are walked
    /// (<see cref="WalkTree"/>); stumps add their value. Each row's score gets the same additions in the same order
    /// as <see cref="Score"/>.
    /// </summary>
    private void AddTreesAsBitVectors(ReadOnlySpan<float> rows, Span<double> output, int firstTree, int endTree)
    {
        var f = FeatureCount;
        var count = output.Length;
        var columns = f <= 128 ? stackalloc float[f * Block] : new float[f * Block];
        Span<uint> exits = stackalloc uint[Block];
        ref var column = ref MemoryMarshal.GetReference(columns);
        ref var exit = ref MemoryMarshal.GetReference(exits);
        ref var firstBitNode = ref MemoryMarshal.GetArrayDataReference(_bitNodes);
        for (var i = 0; i < count; i += Block)
        {
            var block = Math.Min(Block, count - i);
            Transpose(rows.Slice(i * f, block * f), f, columns, Block);
            for (var t = firstTree; t < endTree; t++)
            {
                if (_stump[t])
                {
                    var value = _leafValue[_treeLeafStart[t]];
                    for (var r = 0; r < block; r++) output[i + r] += value;
                    continue;
                }
                var start = _bitNodeStart[t];
                if (start < 0)
                {
                    // More than 32 leaves: the block's rows walk it.
                    WalkTree(t, rows.Slice(i * f, block * f), output.Slice(i, block));
                    continue;
                }
                // Rows 0-3 and 4-7 of the block in two vectors: one 256-bit vector for all eight measured the same.
                var alive0 = Vector128<uint>.AllBitsSet;
                var alive4 = Vector128<uint>.AllBitsSet;
                for (var s = start; s < _bitNodeEnd[t]; s++)
                {
                    ref readonly var split = ref Unsafe.Add(ref firstBitNode, s);
                    var threshold = Vector128.Create(split.Threshold);
                    var mask = Vector128.Create(split.Mask);
                    // All ones where the row goes left (NaN goes right, as in the walk): nothing cleared there.
                    alive0 &= Vector128.LessThanOrEqual(Vector128.LoadUnsafe(ref column, (nuint)split.Column), threshold).AsUInt32() | mask;
                    alive4 &= Vector128.LessThanOrEqual(Vector128.LoadUnsafe(ref column, (nuint)split.Column + 4), threshold).AsUInt32() | mask;
                }
                alive0.StoreUnsafe(ref exit);
                alive4.StoreUnsafe(ref exit, 4);
                var leaves = _bitLeafStart[t];
                for (var r = 0; r < block; r++)
                    output[i + r] += _bitLeafValue[leaves + BitOperations.TrailingZeroCount(Unsafe.Add(ref exit, r))];
            }
        }
    }

    /// <summary>
    /// A block's rows (<paramref name="f"/> features each, at most <paramref name="width"/> rows) as columns: feature k
    /// of row r at k * width + r. A short last block leaves its other lanes at zero; their exits are computed and ignored.
    /// </summary>
    private static void Transpose(ReadOnlySpan<float> rows, int f, Span<float> columns, int width)
    {
        var block = rows.Length / f;
        if (block < width) columns.Clear();
        for (var r = 0; r < block; r++)
        {
            var row = rows.Slice(r * f, f);
            for (var k = 0; k < row.Length; k++) columns[k * width + r] = row[k];
        }
    }

    /// <summary><see cref="AddTrees"/> where the CPU has no 128-bit vectors in hardware: every tree walked.</summary>
    private void AddTreesByWalking(ReadOnlySpan<float> rows, Span<double> output, int firstTree, int endTree)
    {
        for (var t = firstTree; t < endTree; t++)
        {
            if (_stump[t])
            {
                var value = _leafValue[_treeLeafStart[t]];
                for (var r = 0; r < output.Length; r++) output[r] += value;
            }
            else WalkTree(t, rows, output);
        }
    }

    /// <summary>
    /// Adds tree <paramref name="t"/> (not a stump) to the scores of <paramref name="output"/>.Length rows by walking
    /// it: eight rows side by side, eight independent chains of loads the CPU overlaps; each step picks its child by
    /// index rather than by a branch (a split's direction is a coin toss the branch predictor mostly loses), and a row
    /// that reached its leaf keeps it while the others walk on.
    /// </summary>
    private void WalkTree(int t, ReadOnlySpan<float> rows, Span<double> output)
    {
        var f = FeatureCount;
        var count = output.Length;
        ref var tree = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_nodes), _treeNodeStart[t]);
        ref var leaves = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_leafValue), _treeLeafStart[t]);
        ref var firstFeature = ref MemoryMarshal.GetReference(rows);
        var i = 0;
        for (; i + 8 <= count; i += 8)
        {
            ref var x = ref Unsafe.Add(ref firstFeature, i * f);
            int n0 = 0, n1 = 0, n2 = 0, n3 = 0, n4 = 0, n5 = 0, n6 = 0, n7 = 0;
            while ((n0 & n1 & n2 & n3 & n4 & n5 & n6 & n7) >= 0)
            {
                n0 = Step(ref tree, ref x, n0);
                n1 = Step(ref tree, ref Unsafe.Add(ref x, f), n1);
                n2 = Step(ref tree, ref Unsafe.Add(ref x, 2 * f), n2);
                n3 = Step(ref tree, ref Unsafe.Add(ref x, 3 * f), n3);
                n4 = Step(ref tree, ref Unsafe.Add(ref x, 4 * f), n4);
                n5 = Step(ref tree, ref Unsafe.Add(ref x, 5 * f), n5);
                n6 = Step(ref tree, ref Unsafe.Add(ref x, 6 * f), n6);
                n7 = Step(ref tree, ref Unsafe.Add(ref x, 7 * f), n7);
            }
            output[i] += Unsafe.Add(ref leaves, ~n0);
            output[i + 1] += Unsafe.Add(ref leaves, ~n1);
            output[i + 2] += Unsafe.Add(ref leaves, ~n2);
            output[i + 3] += Unsafe.Add(ref leaves, ~n3);
            output[i + 4] += Unsafe.Add(ref leaves, ~n4);
            output[i + 5] += Unsafe.Add(ref leaves, ~n5);
            output[i + 6] += Unsafe.Add(ref leaves, ~n6);
            output[i + 7] += Unsafe.Add(ref leaves, ~n7);
        }
        for (; i < count; i++)
        {
            ref var x = ref Unsafe.Add(ref firstFeature, i * f);
            var node = 0;
            do node = Step(ref tree, ref x, node);
            while (node >= 0);
            output[i] += Unsafe.Add(ref leaves, ~node);
        }
    }

    /// <summary>
    /// One step down a tree from <paramref name="node"/>; a leaf (negative) stays where it is. Unchecked reads: the
    /// constructor validated every child and feature index, and the callers checked the rows' length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref Node tree, ref float x, int node)
    {
        ref var split = ref Unsafe.Add(ref tree, node & ~(node >> 31));   // a leaf reads the root, harmlessly
        // Left and Right are adjacent: the comparison picks one by its index, with no branch to mispredict.
        var right = Unsafe.Add(ref x, split.Feature) <= split.Threshold ? 0 : 1;
        var next = Unsafe.Add(ref Unsafe.AsRef(in split.Left), right);
        return node < 0 ? node : next;
    }

    /// <summary>
    /// The cascade (<see cref="ScoringCascade"/>): scores all <paramref name="count"/> rows with the first
    /// <paramref name="firstTrees"/> trees, keeps the <paramref name="keep"/> rows with the highest partial scores
    /// (equal partial scores: the lower row first) and adds the remaining trees to those rows only. Writes the kept
    /// rows' indices to <paramref name="kept"/> and their scores to <paramref name="scores"/> (same positions, best
    /// partial score first) and returns how many were kept, min(keep, count). A kept row's score is exactly
    /// <see cref="Score"/>'s; a row that is not kept gets none. Allocates nothing for up to 512 rows and 4,096 floats of kept rows (102 rows of 40 features).
    /// </summary>
    public int ScoreCascade(ReadOnlySpan<float> rows, int count, int firstTrees, int keep, Span<int> kept, Span<double> scores)
    {
        var f = FeatureCount;
        if (rows.Length < count * f) throw new ArgumentException($"expected {count} rows of {f} features", nameof(rows));
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), "must keep at least one row");
        firstTrees = Math.Clamp(firstTrees, 0, TreeCount);
        var n = Math.Min(keep, count);
        if (kept.Length < n || scores.Length < n) throw new ArgumentException($"room for {n} kept rows needed");
        if (n == count)
        {
            // Every row is kept: plain scoring, rows in order.
            for (var i = 0; i < n; i++) kept[i] = i;
            ScoreMany(rows[..(count * f)], scores[..n]);
            return n;
        }
        var partial = count <= 512 ? stackalloc double[count] : new double[count];
        partial.Fill(Bias);
        AddTrees(rows[..(count * f)], partial, 0, firstTrees);
        Best(partial, kept[..n]);
        // On the stack up to 16 KB: the cascade chooser keeps at most 80 rows of 40 features (12.5 KB), which the
        // earlier bound of 64 x 40 floats sent to the heap on every call.
        var gathered = n * f <= 4096 ? stackalloc float[n * f] : new float[n * f];
        for (var i = 0; i < n; i++)
        {
            rows.Slice(kept[i] * f, f).CopyTo(gathered.Slice(i * f, f));
            scores[i] = partial[kept[i]];
        }
        AddTrees(gathered, scores[..n], firstTrees, TreeCount);
        return n;
    }

    /// <summary>
    /// The indices of the <paramref name="best"/>.Length highest <paramref name="scores"/>, highest first, equal scores
    /// by lower index: the cascade's choice of the rows it keeps (the trainer chooses the cascade with it too). An
    /// insertion into a short sorted list: the kept rows are a few dozen, and most rows fail the first comparison.
    /// </summary>
    public static void Best(ReadOnlySpan<double> scores, Span<int> best)
    {
        var n = best.Length;
        if (n > scores.Length) throw new ArgumentException("more rows asked for than scored", nameof(best));
        if (n == 0) return;
        var held = 0;
        for (var r = 0; r < scores.Length; r++)
        {
            var v = scores[r];
            if (held == n && !(v > scores[best[n - 1]])) continue;
            var at = held == n ? n - 1 : held++;
            while (at > 0 && v > scores[best[at - 1]])
            {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = r;
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
