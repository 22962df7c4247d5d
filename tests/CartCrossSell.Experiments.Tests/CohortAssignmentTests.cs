using System.Globalization;

namespace CartCrossSell.Experiments.Tests;

public sealed class CohortAssignmentTests
{
    private const string Salt = "s3cr3t";
    private const string ExperimentId = "cart-xsell-2026";

    // The published vectors of docs/experiments.md, computed independently (Python hashlib) from the written spec.
    // A storefront implementation in any language must reproduce every column.
    [Theory]
    [InlineData("s3cr3t", "cart-xsell-2026", "visitor-42", 0xc3dc02deab876777UL, "0.76507585464744698", Cohort.Treatment)]
    [InlineData("s3cr3t", "cart-xsell-2026", "visitor-9", 0x17856d0dfff95fb6UL, "0.091879669111198381", Cohort.Holdout)]
    [InlineData("s3cr3t", "cart-xsell-2026", "visitor-11", 0x08d90165b1b9c4f8UL, "0.034561240508742763", Cohort.Holdout)]
    [InlineData("s3cr3t", "cart-xsell-2026", "visitor-12", 0x1d4eb4d6bf7fba8cUL, "0.11448221438285955", Cohort.Treatment)]
    [InlineData("s3cr3t", "cart-xsell-2026", "session-7f3a", 0xb66a966312821a2dUL, "0.71256389540440812", Cohort.Treatment)]
    [InlineData("new-salt", "cart-xsell-2026", "visitor-42", 0xf809c5924a592802UL, "0.96889910527747658", Cohort.Treatment)]
    [InlineData("s3cr3t", "cart-xsell-2026", "Zoë", 0xdd41972b69a61346UL, "0.86428208169822818", Cohort.Treatment)]
    [InlineData("", "exp", "v", 0x8b3c0a7dd6354233UL, "0.54388490268884926", Cohort.Treatment)]
    public void Published_test_vectors_are_reproduced_bit_for_bit(string salt, string experimentId, string subject, ulong first8Bytes, string bucketText, Cohort cohort)
    {
        var expectedBucket = double.Parse(bucketText, CultureInfo.InvariantCulture);
        // The bucket is defined from the 64-bit prefix; recomputing it here pins the bit arithmetic of the spec too.
        Assert.Equal(expectedBucket, (first8Bytes >> 11) / 9007199254740992.0);
        Assert.Equal(expectedBucket, CohortAssignment.Bucket(salt, experimentId, subject));
        Assert.Equal(cohort, CohortAssignment.Assign(salt, experimentId, subject, 0.10));
    }

    [Fact]
    public void Assignment_is_deterministic_across_calls_and_config_instances()
    {
        var a = new ExperimentConfig(ExperimentId, Salt);
        var b = new ExperimentConfig(ExperimentId, Salt);
        for (var i = 0; i < 2_000; i++)
        {
            var visitor = $"visitor-{i}";
            Assert.Equal(a.Assign(visitor, "any-session"), b.Assign(visitor, $"other-session-{i}"));
        }
    }

    [Fact]
    public void Holdout_share_over_100k_subjects_is_within_tolerance_of_the_configured_share()
    {
        foreach (var share in new[] { 0.10, 0.25, 0.5 })
        {
            const int subjects = 100_000;
            var holdout = 0;
            for (var i = 0; i < subjects; i++)
            {
                if (CohortAssignment.Assign(Salt, ExperimentId, $"visitor-{i}", share) == Cohort.Holdout)
                {
                    holdout++;
                }
            }

            // Binomial sd is at most 0.0016 at these shares; 0.006 is beyond 3.5 sd but catches any skew.
            Assert.InRange((double)holdout / subjects, share - 0.006, share + 0.006);
        }
    }

    [Fact]
    public void Buckets_are_uniform_across_deciles()
    {
        var counts = new int[10];
        const int subjects = 100_000;
        for (var i = 0; i < subjects; i++)
        {
            counts[(int)(CohortAssignment.Bucket(Salt, ExperimentId, $"s-{i}") * 10)]++;
        }

        var expected = subjects / 10.0;
        var chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // 9 df: the 99.9th percentile is 27.88.
        Assert.True(chiSquare < 27.88, $"decile chi-square {chiSquare:F2}");
    }

    [Fact]
    public void Changing_the_salt_reshuffles_the_cohorts()
    {
        const int subjects = 50_000;
        var moved = 0;
        var holdoutBoth = 0;
        for (var i = 0; i < subjects; i++)
        {
            var before = CohortAssignment.Assign(Salt, ExperimentId, $"visitor-{i}", 0.10);
            var after = CohortAssignment.Assign("rotated-salt", ExperimentId, $"visitor-{i}", 0.10);
            moved += before != after ? 1 : 0;
            holdoutBoth += before == Cohort.Holdout && after == Cohort.Holdout ? 1 : 0;
        }

        // Independent assignments: P(change) = 2·0.1·0.9 = 0.18, P(holdout twice) = 0.01.
        Assert.InRange((double)moved / subjects, 0.17, 0.19);
        Assert.InRange((double)holdoutBoth / subjects, 0.007, 0.013);
    }

    [Fact]
    public void Changing_the_experiment_id_also_reshuffles()
    {
        var differences = Enumerable.Range(0, 10_000)
            .Count(i => CohortAssignment.Bucket(Salt, ExperimentId, $"v{i}") != CohortAssignment.Bucket(Salt, "other-experiment", $"v{i}"));
        Assert.Equal(10_000, differences);
    }

    [Fact]
    public void Visitor_id_wins_and_session_id_is_the_fallback()
    {
        Assert.Equal("visitor-1", CohortAssignment.SubjectId("visitor-1", "session-1"));
        Assert.Equal("session-1", CohortAssignment.SubjectId(null, "session-1"));
        Assert.Equal("session-1", CohortAssignment.SubjectId("", "session-1"));

        var config = new ExperimentConfig(ExperimentId, Salt, 0.5);
        for (var i = 0; i < 500; i++)
        {
            // Anonymous: the session id is hashed.
            Assert.Equal(CohortAssignment.Assign(Salt, ExperimentId, $"session-{i}", 0.5), config.Assign(null, $"session-{i}"));
            // Known visitor: every session of that visitor lands in the same cohort.
            Assert.Equal(config.Assign($"visitor-{i}", "session-a"), config.Assign($"visitor-{i}", "session-b"));
        }

        // The fallback really changes the subject: with a 50/50 split, visitor and session disagree about half the time.
        var disagreements = Enumerable.Range(0, 2_000).Count(i => config.Assign($"visitor-{i}", $"session-{i}") != config.Assign(null, $"session-{i}"));
        Assert.InRange(disagreements, 850, 1_150);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void A_share_that_leaves_a_cohort_empty_is_rejected(double share)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExperimentConfig(ExperimentId, Salt, share));
    }

    [Fact]
    public void Default_holdout_share_is_ten_percent()
    {
        Assert.Equal(0.10, new ExperimentConfig(ExperimentId, Salt).HoldoutShare);
    }
}
