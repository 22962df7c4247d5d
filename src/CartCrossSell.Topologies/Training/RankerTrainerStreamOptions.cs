using CartCrossSell.Engine;
using CartCrossSell.Ranking.Training;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Training;

/// <summary>
/// How the <c>ranker-trainer</c> group retrains the ranking model in the stream. Bound from the <c>RankerTrainer</c>
/// section; the tree settings default to the ones measured offline (docs/engine.md).
/// </summary>
public sealed class RankerTrainerStreamOptions
{
    public const string SectionName = "RankerTrainer";

    /// <summary>
    /// The sample: the most recent this-many orders (by their own time; a duplicate order id is kept once). Default
    /// 20,000: the size whose training was measured under 60 s on 2 cores (docs/benchmarks.md), and about four weeks
    /// of the development store, whose newest 20 % (the validation slice) then holds thousands of carts.
    /// </summary>
    public int SampleOrders { get; set; } = 20_000;

    /// <summary>A training starts once this many orders entered the sample since the last one started. Default 2,000 (a tenth of the sample).</summary>
    public int EveryOrders { get; set; } = 2_000;

    /// <summary>...or once this long passed since the last one started (wall clock), whichever comes first. Default 1 hour.</summary>
    public TimeSpan Every { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often the trainer looks whether a training is due or has finished (a wall-clock punctuation). Default 5 s.
    /// A finished model waits at most this long before it is published.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Publish a model that was not promoted under the key <c>candidate</c> of <c>ranking-models</c>, for inspection. Default true.</summary>
    public bool PublishRefused { get; set; } = true;

    private static readonly RankerTrainerOptions Defaults = new();

    /// <summary>Boosting rounds of each task mix's model. Default 150.</summary>
    public int Trees { get; set; } = Defaults.Trees;

    /// <summary>Leaves per tree. Default 15.</summary>
    public int Leaves { get; set; } = Defaults.Leaves;

    /// <summary>Shrinkage of each tree. Default 0.05.</summary>
    public double LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>Share of the features each tree may split on. Default 1 (docs/engine.md: 0.7 measured no better).</summary>
    public double FeatureFraction { get; set; } = Defaults.FeatureFraction;

    /// <summary>Share of the fit rows each tree is grown on. Default 1 (docs/engine.md: 0.7 measured no better).</summary>
    public double BaggingFraction { get; set; } = Defaults.BaggingFraction;

    /// <summary>LightGBM threads of one training (it runs beside the stream threads). Default 2.</summary>
    public int Threads { get; set; } = Defaults.Threads;

    public void Validate()
    {
        if (SampleOrders is < 1 or > 1_000_000) throw new OptionsValidationException($"{SectionName}:SampleOrders must be between 1 and 1000000");
        if (EveryOrders < 1) throw new OptionsValidationException($"{SectionName}:EveryOrders must be at least 1");
        if (Every <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:Every must be positive");
        if (CheckInterval <= TimeSpan.Zero) throw new OptionsValidationException($"{SectionName}:CheckInterval must be positive");
        if (Threads is < 1 or > 64) throw new OptionsValidationException($"{SectionName}:Threads must be between 1 and 64");
        try
        {
            Trainer(new LearningOptions(), new RecommendationOptions()).Validate();
        }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException($"{SectionName}: {e.Message}");
        }
    }

    /// <summary>The offline trainer's settings for one in-stream training: the service's learning and ranking rules, these trees.</summary>
    /// <param name="similarBaskets">The recommenders' <c>Recommender:SimilarBaskets</c>: a model is fitted on the baskets they hold.</param>
    public RankerTrainerOptions Trainer(LearningOptions learning, RecommendationOptions ranking, Engine.Ranking.SimilarBasketsOptions? similarBaskets = null) => Defaults with
    {
        Tasks = Defaults.Tasks with { SimilarBaskets = similarBaskets ?? Defaults.Tasks.SimilarBaskets },
        Trees = Trees,
        Leaves = Leaves,
        LearningRate = LearningRate,
        FeatureFraction = FeatureFraction,
        BaggingFraction = BaggingFraction,
        Threads = Threads,
        Learning = learning,
        Recommendation = ranking,
    };
}
