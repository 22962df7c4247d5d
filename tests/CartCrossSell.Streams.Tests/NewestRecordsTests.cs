using CartCrossSell.Streams.Processing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Streams.Tests;

/// <summary>The selection a bounded bootstrap keeps: the newest records by timestamp, equal timestamps by the order offered.</summary>
public sealed class NewestRecordsTests
{
    [Property(MaxTest = 300)]
    public Property Keeps_what_a_full_sort_keeps_oldest_first() =>
        Prop.ForAll(Gen.Choose(1, 40).ToArbitrary(), Gen.Choose(0, 25).ListOf().ToArbitrary(), (limit, timestamps) =>
        {
            // Few distinct timestamps, so equal ones are common; partitions read one after the other arrive out of time order.
            var newest = new NewestRecords<int>(limit);
            var offered = timestamps.ToList();
            for (var i = 0; i < offered.Count; i++) newest.Offer(i, offered[i]);

            var expected = offered.Select((t, i) => (Timestamp: t, Index: i)).OrderBy(r => r.Timestamp).ThenBy(r => r.Index)
                .TakeLast(limit).Select(r => r.Index).ToList();
            var kept = newest.TakeOldestFirst();
            return kept.SequenceEqual(expected) && newest.Offered == offered.Count && newest.Count == 0;
        });

    [Fact]
    public void Two_partitions_read_one_after_the_other_leave_the_newest_of_both()
    {
        var newest = new NewestRecords<string>(4);
        foreach (var t in new[] { 1, 3, 5, 7, 9 }) newest.Offer($"p0@{t}", t); // partition 0, then partition 1
        foreach (var t in new[] { 2, 4, 6, 8, 10 }) newest.Offer($"p1@{t}", t);

        Assert.Equal(["p0@7", "p1@8", "p0@9", "p1@10"], newest.TakeOldestFirst());
    }

    [Fact]
    public void A_limit_below_one_is_refused() => Assert.Throws<ArgumentOutOfRangeException>(() => new NewestRecords<int>(0));
}
