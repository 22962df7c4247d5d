namespace CartCrossSell.Engine.Tests;

/// <summary>
/// The reader remembers the item handles of skus a long-lived source names with the same string call after call (the
/// similar-baskets index): what it returns must be what a lookup of the store returns, in every call, however the
/// store changes meanwhile.
/// </summary>
public class RowReaderTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static BasketLearner Learned()
    {
        var learner = new BasketLearner();
        learner.AddOrder(["a", "b", "c"], At);
        learner.AddOrder(["a", "b"], At.AddMinutes(1));
        learner.AddOrder(["c", "d"], At.AddMinutes(2));
        return learner;
    }

    [Fact]
    public void A_kept_sku_is_found_as_the_store_finds_it_in_every_call()
    {
        var learner = Learned();
        // The skus as one long-lived source holds them: the same strings in every call.
        string[] kept = ["a", "b", "c", "d", "unknown"];
        foreach (IBasketEvidence evidence in new IBasketEvidence[] { learner.Compact(), learner.Live(), learner })
        {
            for (var call = 0; call < 3; call++)
            {
                var reader = RowReader.For(evidence);
                try
                {
                    foreach (var sku in kept)
                    {
                        var expected = reader.LookUpItem(sku, out var expectedWeight);
                        var actual = reader.ItemHandleOfKeptSku(sku, out var weight);
                        Assert.Equal(expected, actual);
                        Assert.Equal(expectedWeight, weight);
                        // The generic reader numbers every key it is asked for, an unknown one too (without a weight).
                        if (sku == "unknown") Assert.True(actual < 0 || (weight == 0 && !reader.HandlesOutliveTheCall));
                        else Assert.True(weight > 0);
                        if (actual >= 0) Assert.Equal(RowKeys.Item(sku), reader.Key(actual));
                    }
                }
                finally
                {
                    reader.Release();
                }
            }
        }
    }

    [Fact]
    public void A_live_store_that_learns_a_kept_sku_later_is_read_anew()
    {
        var live = Learned().Live();
        const string newcomer = "e";
        int Handle(out double weight)
        {
            var reader = RowReader.For(live);
            try { return reader.ItemHandleOfKeptSku(newcomer, out weight); }
            finally { reader.Release(); }
        }

        Assert.Equal(-1, Handle(out _));
        // Its row arrives: an unknown sku was not remembered as unknown.
        live.Apply(new EvidenceRow(RowKeys.Item(newcomer), 2.0, [new Neighbor(RowKeys.Item("a"), 1.0)]));
        var handle = Handle(out var weight);
        Assert.True(handle >= 0);
        Assert.Equal(2.0, weight);
        // Its weight changes: the handle is remembered, the weight read again.
        live.Apply(new EvidenceRow(RowKeys.Item(newcomer), 3.5, [new Neighbor(RowKeys.Item("a"), 1.0)]));
        Assert.Equal(handle, Handle(out weight));
        Assert.Equal(3.5, weight);
    }
}
