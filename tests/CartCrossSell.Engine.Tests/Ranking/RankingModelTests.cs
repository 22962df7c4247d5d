using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Tests.Ranking;

public class RankingModelTests
{
    /// <summary>One tree on feature 0 (basket_cos_weighted): at most 0.5 → -1, else split on feature 9 → 0.5 or 2.</summary>
    internal static TreeEnsemble Ensemble(double bias = 0.25) => new(
        [new TreeEnsemble.Tree([0, 9], [0.5f, 0.3f], [-1, -2], [1, -3], [-1.0, 0.5, 2.0], 1.0)],
        bias, RankingFeatures.Count);

    internal static RankingModel Model(double threshold = 0.1) =>
        new(Ensemble(), RankingFeatures.Names, -1.5, 0.5, threshold, new DateTimeOffset(2011, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new Dictionary<string, double> { ["validation_hr3_random"] = 0.12 }, "test");

    [Fact]
    public void Trees_go_left_when_the_feature_is_at_most_the_threshold()
    {
        var e = Ensemble();
        var x = new float[RankingFeatures.Count];
        x[0] = 0.5f;
        Assert.Equal(0.25 - 1.0, e.Score(x));
        x[0] = 0.6f;
        x[9] = 0.3f;
        Assert.Equal(0.25 + 0.5, e.Score(x));
        x[9] = 0.31f;
        Assert.Equal(0.25 + 2.0, e.Score(x));
    }

    [Fact]
    public void A_model_survives_its_bytes_with_the_same_scores_probabilities_threshold_and_version()
    {
        var model = Model();
        var bytes = model.ToBytes();
        var back = RankingModel.FromBytes(bytes);
        Assert.Equal(model.Version, back.Version);
        Assert.Equal(model.ShowThreshold, back.ShowThreshold);
        Assert.Equal(0.12, back.Metrics["validation_hr3_random"]);
        var rng = new Random(3);
        var x = new float[RankingFeatures.Count];
        for (var i = 0; i < 200; i++)
        {
            for (var k = 0; k < x.Length; k++) x[k] = (float)rng.NextDouble();
            Assert.Equal(model.Score(x), back.Score(x));
            Assert.Equal(model.Probability(model.Score(x)), back.Probability(back.Score(x)));
        }
        Assert.StartsWith("rk-", model.Version);
        Assert.NotEqual(model.Version, model.WithShowThreshold(0.2).Version);
    }

    private static readonly CandidateOptions Fitted = new()
    {
        BasketDepth = 60, SimilarBasketsDepth = 7, RecencyDecay = 0.6, Shrinkage = 2.5, SimilarBasketsNeighbors = 30, SimilarBasketsSamplePerItem = 400,
    };

    [Fact]
    public void A_model_keeps_the_candidate_settings_it_was_fitted_with_through_its_bytes()
    {
        var plain = Model();
        Assert.Null(plain.Candidates);
        Assert.Equal(1, BitConverter.ToInt32(plain.ToBytes(), 4)); // without settings: the format it was before them
        var model = plain.WithCandidates(Fitted);
        var bytes = model.ToBytes();
        Assert.Equal(3, BitConverter.ToInt32(bytes, 4));
        var back = RankingModel.FromBytes(bytes);
        Assert.Equal(Fitted, back.Candidates);
        Assert.Equal(model.Version, back.Version);
        Assert.NotEqual(plain.Version, model.Version);
        Assert.NotEqual(model.Version, plain.WithCandidates(Fitted with { SimilarBasketsNeighbors = 31 }).Version);
        Assert.True(back.Cascade.IsFull);
        // Every other change keeps them, and a cascade goes with them.
        Assert.Equal(Fitted, model.WithShowThreshold(0.3).WithMetrics(new Dictionary<string, double>()).Candidates);
        var cascaded = RankingModel.FromBytes(new RankingModel(ScoringCascadeTests.RandomEnsemble(30, 8), RankingFeatures.Names, -1, 0, 0.1,
            plain.TrainedAt, cascade: new ScoringCascade(10, 15), candidates: Fitted).ToBytes());
        Assert.Equal((new ScoringCascade(10, 15), Fitted), (cascaded.Cascade, cascaded.Candidates));
        // Without the similar baskets' reading (a model that leaves it to the index) the two settings stay unset.
        var unset = Fitted with { SimilarBasketsNeighbors = null, SimilarBasketsSamplePerItem = null };
        Assert.Equal(unset, RankingModel.FromBytes(plain.WithCandidates(unset).ToBytes()).Candidates);
    }

    [Fact]
    public void A_model_recording_a_candidate_setting_this_engine_does_not_know_is_refused()
    {
        // The features would be computed otherwise than in its training: not a model this engine can serve.
        var bytes = Model().WithCandidates(Fitted).ToBytes();
        var name = System.Text.Encoding.UTF8.GetBytes("Shrinkage");
        var at = bytes.AsSpan().IndexOf(name);
        Assert.True(at > 0);
        bytes[at + name.Length - 1] = (byte)'f';
        Assert.Contains("Shrinkagf", Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(bytes)).Message);
        // A depth that is not a whole number, likewise.
        var depth = Model().WithCandidates(Fitted).ToBytes();
        var key = System.Text.Encoding.UTF8.GetBytes("BasketDepth");
        var value = depth.AsSpan().IndexOf(key) + key.Length;
        BitConverter.GetBytes(60.5).CopyTo(depth, value);
        Assert.Contains("whole number", Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(depth)).Message);
        // And one out of range, refused where the model is built.
        BitConverter.GetBytes(-5.0).CopyTo(depth, value);
        Assert.Contains("BasketDepth", Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(depth)).Message);
    }

    [Fact]
    public void A_ranker_serves_a_model_with_the_candidate_settings_it_records()
    {
        var options = new RecommendationOptions { RecencyDecay = 0.3 };
        Assert.Equal(Fitted, new LearnedAddOnRanker(Model().WithCandidates(Fitted), options).Candidates.Options);
        // A model that records none: the service's own (its recency weights), as before.
        Assert.Equal(CandidateOptions.For(options), new LearnedAddOnRanker(Model(), options).Candidates.Options);
        // Settings given explicitly (the trainer's, while it measures) win.
        var explicitOnes = new CandidateOptions { BasketDepth = 5 };
        Assert.Equal(explicitOnes, new LearnedAddOnRanker(Model().WithCandidates(Fitted), options, explicitOnes).Candidates.Options);
    }

    [Fact]
    public void Foreign_or_truncated_bytes_are_refused_with_a_reason()
    {
        var bytes = Model().ToBytes();
        Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes("not a model"u8));
        var corrupt = (byte[])bytes.Clone();
        corrupt[4] = 99; // format version
        Assert.Contains("format", Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(corrupt)).Message);
    }

    [Fact]
    public void Bytes_whose_description_length_does_not_decode_are_refused_as_invalid_data()
    {
        // Magic, format 1, trainedAt, then a 7-bit string length of five continuation bytes: BinaryReader throws a
        // FormatException, which used to escape the decoder and stop the model table's reader at every start.
        var bytes = Model().ToBytes().AsSpan(0, 16).ToArray().Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }).ToArray();
        Assert.Contains("malformed", Assert.Throws<InvalidDataException>(() => RankingModel.FromBytes(bytes)).Message);
    }

    [Fact]
    public void An_ensemble_whose_score_could_overflow_is_refused()
    {
        // Each value is finite, their product or sum is not: an infinite score would calibrate to NaN.
        Assert.Throws<ArgumentException>(() => new TreeEnsemble([new TreeEnsemble.Tree([], [], [], [], [1e300], 1e300)], 0, 5));
        Assert.Throws<ArgumentException>(() => new TreeEnsemble(
            [new TreeEnsemble.Tree([], [], [], [], [1e308]), new TreeEnsemble.Tree([], [], [], [], [-1e308])], 1e308, 5));
        Assert.Throws<ArgumentException>(() => new TreeEnsemble([new TreeEnsemble.Tree([], [], [], [], [1.0])], double.NaN, 5));
        var fine = new TreeEnsemble([new TreeEnsemble.Tree([], [], [], [], [1e300], 1.0)], -1e300, 5);
        Assert.Equal(0, fine.Score(new float[5]));
    }

    [Fact]
    public void A_tree_that_would_loop_or_read_a_missing_feature_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new TreeEnsemble([new TreeEnsemble.Tree([0], [0f], [0], [-1], [1.0, 2.0])], 0, 5));
        Assert.Throws<ArgumentException>(() => new TreeEnsemble([new TreeEnsemble.Tree([7], [0f], [-1], [-2], [1.0, 2.0])], 0, 5));
    }

    [Fact]
    public void Platt_scaling_recovers_a_known_logistic_relation()
    {
        var rng = new Random(11);
        var scores = new List<double>();
        var labels = new List<bool>();
        for (var i = 0; i < 20_000; i++)
        {
            var s = rng.NextDouble() * 8 - 4;
            var p = 1 / (1 + Math.Exp(-(2 * s - 1)));   // A = -2, B = 1
            scores.Add(s);
            labels.Add(rng.NextDouble() < p);
        }
        var (a, b) = PlattScaling.Fit(scores, labels);
        Assert.InRange(a, -2.2, -1.8);
        Assert.InRange(b, 0.85, 1.15);
    }

    [Fact]
    public void The_show_threshold_is_the_highest_that_keeps_the_stated_share_of_hits()
    {
        var curve = new[]
        {
            new ThresholdPoint(0, 0.200, 3, 0), new ThresholdPoint(0.05, 0.198, 2.5, 0), new ThresholdPoint(0.1, 0.195, 2, 0),
            new ThresholdPoint(0.2, 0.150, 1, 0),
        };
        Assert.Equal(0.1, ShowThreshold.Choose(curve, 0.03));
        Assert.Equal(0.05, ShowThreshold.Choose(curve, 0.01));
        Assert.Equal(0, ShowThreshold.Choose(curve, 0));
    }
}
