using CartCrossSell.Engine;

namespace CartCrossSell.Engine.Tests;

public class SimilarityTests
{
    [Theory]
    [InlineData(SimilarityMeasure.Lift)]
    [InlineData(SimilarityMeasure.Cosine)]
    [InlineData(SimilarityMeasure.Jaccard)]
    [InlineData(SimilarityMeasure.Confidence)]
    public void Shrinkage_ranks_a_pair_seen_once_below_a_pair_seen_often_with_the_same_raw_similarity(SimilarityMeasure measure)
    {
        // Rare: both items seen once, together. Frequent: both seen 50 times, always together. Same raw ratio.
        var rare = Similarity.Score(measure, pair: 1, weightA: 1, weightC: 1, baskets: 100, pairCount: 1, shrinkage: 2);
        var frequent = Similarity.Score(measure, pair: 50, weightA: 50, weightC: 50, baskets: 5000, pairCount: 50, shrinkage: 2);
        Assert.True(rare < frequent * 0.5, $"{measure}: rare {rare}, frequent {frequent}");

        var rareUnshrunk = Similarity.Score(measure, 1, 1, 1, 100, 1, 0);
        var frequentUnshrunk = Similarity.Score(measure, 50, 50, 50, 5000, 50, 0);
        Assert.Equal(frequentUnshrunk, rareUnshrunk, 9);
    }

    [Fact]
    public void The_measures_follow_their_definitions()
    {
        Assert.Equal(10 * 1000 / (40.0 * 25), Similarity.Score(SimilarityMeasure.Lift, 10, 40, 25, 1000, 10, 0), 9);
        Assert.Equal(10 / Math.Sqrt(40 * 25), Similarity.Score(SimilarityMeasure.Cosine, 10, 40, 25, 1000, 10, 0), 9);
        Assert.Equal(10 / 55.0, Similarity.Score(SimilarityMeasure.Jaccard, 10, 40, 25, 1000, 10, 0), 9);
        Assert.Equal(10 / 40.0, Similarity.Score(SimilarityMeasure.Confidence, 10, 40, 25, 1000, 10, 0), 9);
        Assert.Equal(10 / 11.0 * (10 / 40.0), Similarity.Score(SimilarityMeasure.Confidence, 10, 40, 25, 1000, 10, 1), 9);
    }

    [Fact]
    public void Cosine_is_the_default_similarity()
    {
        Assert.Equal(SimilarityMeasure.Cosine, new RecommendationOptions().Similarity);
    }
}
