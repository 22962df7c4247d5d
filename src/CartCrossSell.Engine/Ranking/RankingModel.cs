using System.Security.Cryptography;
using System.Text;

namespace CartCrossSell.Engine.Ranking;

/// <summary>
/// A trained ranker as it is served: the tree ensemble over <see cref="RankingFeatures"/>, the calibration that turns
/// its score into an estimated probability that the shopper adds the item, the probability below which an add-on is
/// not shown, and what it was measured at. Immutable; serialises to a compact binary form (<see cref="ToBytes"/>)
/// whose version is a hash of its content, so two instances that load the same bytes name the same version.
/// </summary>
public sealed class RankingModel
{
    private const uint Magic = 0x4D525843; // "CXRM"
    // Format 1: no cascade (every candidate scored by every tree). Format 2 appends the cascade; a model without one is
    // still written as format 1, so its bytes and version do not change and older readers still load it. Format 3
    // appends the cascade (0, 0 when full) and the candidate settings the model was fitted with; a model without them
    // is written as before.
    private const int FormatVersion = 1;
    private const int CascadeFormatVersion = 2;
    private const int SettingsFormatVersion = 3;

    public RankingModel(TreeEnsemble ensemble, IReadOnlyList<string> featureNames, double plattA, double plattB, double showThreshold,
        DateTimeOffset trainedAt, IReadOnlyDictionary<string, double>? metrics = null, string? description = null,
        ScoringCascade cascade = default, CandidateOptions? candidates = null)
    {
        if (featureNames.Count != ensemble.FeatureCount) throw new ArgumentException("one feature name per ensemble feature", nameof(featureNames));
        if (!double.IsFinite(plattA) || !double.IsFinite(plattB)) throw new ArgumentException("calibration must be finite");
        if (showThreshold is < 0 or > 1 || double.IsNaN(showThreshold)) throw new ArgumentOutOfRangeException(nameof(showThreshold), "must be a probability");
        Ensemble = ensemble;
        FeatureNames = featureNames.ToArray();
        PlattA = plattA;
        PlattB = plattB;
        ShowThreshold = showThreshold;
        TrainedAt = trainedAt;
        Metrics = metrics is null ? new Dictionary<string, double>() : new Dictionary<string, double>(metrics);
        Description = description ?? "";
        cascade.Validate(ensemble.TreeCount);
        Cascade = cascade;
        candidates?.Validate();
        Candidates = candidates;
        Version = ComputeVersion();
    }

    public TreeEnsemble Ensemble { get; }
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Platt scaling: p = 1 / (1 + exp(A · score + B)).</summary>
    public double PlattA { get; }
    public double PlattB { get; }

    /// <summary>An add-on below this estimated add probability is not shown (the first one may be, see the ranker).</summary>
    public double ShowThreshold { get; }

    /// <summary>
    /// Where the model's training data ends in the orders' own time (the start of its validation slice), not the wall
    /// clock of the training: the same orders give the same model, bytes and version.
    /// </summary>
    public DateTimeOffset TrainedAt { get; }

    /// <summary>What the trainer measured on its validation slice (HR@3 and the like), by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    public string Description { get; }

    /// <summary>How the ranker scores a cart's candidates: every one with every tree (the default), or a cascade chosen by the trainer.</summary>
    public ScoringCascade Cascade { get; }

    /// <summary>
    /// The candidate settings the model was fitted with (depths, recency weights, shrinkage, the similar baskets'
    /// reading): a ranker serving it generates candidates and features with them, as its training did. Null for a model
    /// that does not record them (format 1 or 2, or built by hand): it is served with the ranker's defaults.
    /// </summary>
    public CandidateOptions? Candidates { get; }

    /// <summary>
    /// The metrics under which the trainer records the learning options of the rows its features were read from. A
    /// ranker cannot change the rows it is served (the learner's, shared by every model), so a model fitted on rows
    /// learned otherwise is served other features than its training read: <see cref="LearningDifferences"/> says so.
    /// </summary>
    public const string HalfLifeMetric = "learning_half_life_hours", MaxNeighborsMetric = "learning_max_neighbors",
        SequenceWindowMetric = "learning_sequence_window";

    /// <summary>The learning options this model's training read rows with, where they are not <paramref name="learning"/>'s; empty when they are, or when the model records none.</summary>
    public IReadOnlyList<string> LearningDifferences(LearningOptions learning)
    {
        var differences = new List<string>();
        void Compare(string metric, string name, double served, string unit)
        {
            if (Metrics.TryGetValue(metric, out var fitted) && fitted != served)
                differences.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} {fitted:0.###}{unit} in training, {served:0.###}{unit} served"));
        }
        Compare(HalfLifeMetric, "half-life", learning.HalfLife.TotalHours, " h");
        Compare(MaxNeighborsMetric, "neighbours per row", learning.MaxNeighbors, "");
        Compare(SequenceWindowMetric, "order-of-addition window", learning.SequenceWindow, "");
        return differences;
    }

    /// <summary>"rk-" and the first 12 hex digits of the SHA-256 of the serialised model.</summary>
    public string Version { get; }

    /// <summary>Whether the model reads the feature vector this engine writes.</summary>
    public bool MatchesFeatures => FeatureNames.SequenceEqual(RankingFeatures.Names);

    public double Score(ReadOnlySpan<float> features) => Ensemble.Score(features);

    public double Probability(double score)
    {
        var z = PlattA * score + PlattB;
        return z > 40 ? 0 : z < -40 ? 1 : 1 / (1 + Math.Exp(z));
    }

    public RankingModel WithShowThreshold(double threshold) =>
        new(Ensemble, FeatureNames, PlattA, PlattB, threshold, TrainedAt, Metrics, Description, Cascade, Candidates);

    public RankingModel WithMetrics(IReadOnlyDictionary<string, double> metrics) =>
        new(Ensemble, FeatureNames, PlattA, PlattB, ShowThreshold, TrainedAt, metrics, Description, Cascade, Candidates);

    public RankingModel WithCascade(ScoringCascade cascade) =>
        new(Ensemble, FeatureNames, PlattA, PlattB, ShowThreshold, TrainedAt, Metrics, Description, cascade, Candidates);

    public RankingModel WithCandidates(CandidateOptions? candidates) =>
        new(Ensemble, FeatureNames, PlattA, PlattB, ShowThreshold, TrainedAt, Metrics, Description, Cascade, candidates);

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        Write(buffer);
        return buffer.ToArray();
    }

    private void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Candidates is not null ? SettingsFormatVersion : Cascade.IsFull ? FormatVersion : CascadeFormatVersion);
        w.Write(TrainedAt.UtcTicks);
        w.Write(Description);
        w.Write(PlattA);
        w.Write(PlattB);
        w.Write(ShowThreshold);
        w.Write(FeatureNames.Count);
        foreach (var name in FeatureNames) w.Write(name);
        w.Write(Metrics.Count);
        foreach (var (name, value) in Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            w.Write(name);
            w.Write(value);
        }
        w.Write(Ensemble.Bias);
        w.Write(Ensemble.Trees.Count);
        foreach (var tree in Ensemble.Trees)
        {
            w.Write(tree.Weight);
            w.Write(tree.Feature.Length);
            for (var i = 0; i < tree.Feature.Length; i++)
            {
                w.Write((short)tree.Feature[i]);
                w.Write(tree.Threshold[i]);
                w.Write(tree.Left[i]);
                w.Write(tree.Right[i]);
            }
            foreach (var v in tree.LeafValue) w.Write(v);
        }
        if (Cascade.IsFull && Candidates is null) return;
        w.Write(Cascade.FirstTrees);
        w.Write(Cascade.Keep);
        if (Candidates is null) return;
        var settings = Candidates.Settings().ToList();
        w.Write(settings.Count);
        foreach (var (name, value) in settings)
        {
            w.Write(name);
            w.Write(value);
        }
    }

    /// <summary>Reads a model written by <see cref="ToBytes"/>; a malformed or foreign payload throws <see cref="InvalidDataException"/>.</summary>
    public static RankingModel FromBytes(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes.ToArray()), Encoding.UTF8);
            if (r.ReadUInt32() != Magic) throw new InvalidDataException("not a CartCrossSell ranking model");
            var format = r.ReadInt32();
            if (format is not (FormatVersion or CascadeFormatVersion or SettingsFormatVersion))
                throw new InvalidDataException($"ranking model format {format} is not supported (expected {FormatVersion} to {SettingsFormatVersion})");
            var trainedAt = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
            var description = r.ReadString();
            var a = r.ReadDouble();
            var b = r.ReadDouble();
            var threshold = r.ReadDouble();
            var names = new string[Bounded(r.ReadInt32(), 10_000)];
            for (var i = 0; i < names.Length; i++) names[i] = r.ReadString();
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            var metricCount = Bounded(r.ReadInt32(), 10_000);
            for (var i = 0; i < metricCount; i++) metrics[r.ReadString()] = r.ReadDouble();
            var bias = r.ReadDouble();
            var trees = new TreeEnsemble.Tree[Bounded(r.ReadInt32(), 100_000)];
            for (var t = 0; t < trees.Length; t++)
            {
                var weight = r.ReadDouble();
                var nodes = Bounded(r.ReadInt32(), 1_000_000);
                var feature = new int[nodes];
                var threshold2 = new float[nodes];
                var left = new int[nodes];
                var right = new int[nodes];
                for (var i = 0; i < nodes; i++)
                {
                    feature[i] = r.ReadInt16();
                    threshold2[i] = r.ReadSingle();
                    left[i] = r.ReadInt32();
                    right[i] = r.ReadInt32();
                }
                var leaves = new double[nodes + 1];
                for (var i = 0; i < leaves.Length; i++) leaves[i] = r.ReadDouble();
                trees[t] = new TreeEnsemble.Tree(feature, threshold2, left, right, leaves, weight);
            }
            var cascade = format >= CascadeFormatVersion ? new ScoringCascade(r.ReadInt32(), r.ReadInt32()) : default;
            if (format == CascadeFormatVersion && cascade.IsFull) throw new InvalidDataException("a format 2 model must hold a cascade");
            CandidateOptions? candidates = null;
            if (format == SettingsFormatVersion)
            {
                var settings = new (string, double)[Bounded(r.ReadInt32(), 1_000)];
                for (var i = 0; i < settings.Length; i++) settings[i] = (r.ReadString(), r.ReadDouble());
                candidates = CandidateOptions.FromSettings(settings);
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes after the ranking model");
            return new RankingModel(new TreeEnsemble(trees, bias, names.Length), names, a, b, threshold, trainedAt, metrics, description, cascade, candidates);
        }
        catch (Exception ex) when (ex is not (InvalidDataException or OutOfMemoryException))
        {
            // Whatever the bytes make the reader throw (a string length that does not decode is a FormatException,
            // ticks out of range an ArgumentException, ...) means one thing to a caller: not a model it can load.
            throw new InvalidDataException($"malformed ranking model: {ex.Message}", ex);
        }
    }

    private static int Bounded(int count, int max) =>
        count >= 0 && count <= max ? count : throw new InvalidDataException($"count {count} outside 0..{max}");

    private string ComputeVersion()
    {
        using var buffer = new MemoryStream();
        Write(buffer);
        var hash = SHA256.HashData(buffer.ToArray());
        return "rk-" + Convert.ToHexStringLower(hash.AsSpan(0, 6));
    }
}

/// <summary>
/// Cascade scoring: every candidate of a cart is scored with the first <see cref="FirstTrees"/> trees, the
/// <see cref="Keep"/> best by that partial score are scored with the remaining trees, and only they are ranked (a
/// ranker that reranks deeper keeps as many as its depth). A GBDT score is a sum over trees, so the kept candidates'
/// scores are exactly the full model's; what the cascade may change is which candidates are kept. The trainer chooses
/// both numbers on its validation slice. The default, (0, 0), is full scoring: every candidate, every tree.
/// </summary>
public readonly record struct ScoringCascade(int FirstTrees, int Keep)
{
    public static readonly ScoringCascade Full = default;

    public bool IsFull => FirstTrees == 0 && Keep == 0;

    internal void Validate(int trees)
    {
        if (IsFull) return;
        if (FirstTrees < 1 || FirstTrees > trees) throw new ArgumentOutOfRangeException(nameof(FirstTrees), FirstTrees, $"must be between 1 and the {trees} trees");
        if (Keep < 1) throw new ArgumentOutOfRangeException(nameof(Keep), Keep, "must keep at least one candidate");
    }

    public override string ToString() => IsFull ? "full scoring" : $"first {FirstTrees} trees, then the best {Keep}";
}
