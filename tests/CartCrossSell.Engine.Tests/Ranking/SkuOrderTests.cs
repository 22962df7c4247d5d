using CartCrossSell.Engine.Ranking;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCrossSell.Engine.Tests.Ranking;

/// <summary>
/// The union of candidates is sorted by a packed key of each sku's first eight UTF-16 units (a byte each when they are
/// all Latin-1, else two) and only ties by the whole sku (<see cref="SkuOrder"/>); <see cref="CandidateSet.Find"/> searches that order, so it must be exactly the
/// ordinal order of the skus.
/// </summary>
public class SkuOrderTests
{
    // Units that make the packed key's edge cases: the zero unit a missing one is packed as, the largest, a surrogate.
    private static readonly char[] Units = ['\0', '\u0001', '0', '1', '9', 'A', 'B', 'a', '-', ' ', 'é', '\ud83d', '\uffff'];

    private static Gen<string> Skus() =>
        from length in Gen.Choose(0, 12)
        from units in Gen.Elements(Units).ArrayOf(length)
        select new string(units);

    private static IEnumerable<string> Sorted(string[] skus)
    {
        var index = new int[skus.Length];
        SkuOrder.Sort(skus, new UInt128[skus.Length], index, skus.Length);
        return index.Select(i => skus[i]);
    }

    [Property(MaxTest = 300)]
    public Property Sorts_exactly_as_ordinal_comparison_of_the_skus() =>
        Prop.ForAll(Skus().ListOf().ToArbitrary(), skus =>
        {
            var expected = skus.OrderBy(s => s, StringComparer.Ordinal).ToList();
            return Sorted([.. skus]).SequenceEqual(expected);
        });

    [Fact]
    public void Skus_sharing_their_first_eight_units_and_a_prefix_padded_with_zero_units_are_ordered_by_the_whole_sku()
    {
        string[] skus = ["ABCDEFGHb", "ABCDEFGH", "ABCDEFGHa", "AB\0", "AB", "AB\0\0\0\0\0\0z", "85123A", "85123", "851230"];
        Assert.Equal(skus.OrderBy(s => s, StringComparer.Ordinal), Sorted(skus));
        // The keys alone cannot tell these apart; the whole comparison does.
        Assert.Equal(SkuOrder.Key("AB"), SkuOrder.Key("AB\0"));
        Assert.Equal(SkuOrder.Key("ABCDEFGHa"), SkuOrder.Key("ABCDEFGHb"));
        // Those are Latin-1, sorted by the 64-bit keys; one unit above Latin-1 among them sorts them all by 128 bits.
        Assert.True(skus.All(s => SkuOrder.TryNarrowKey(s, out _)));
        string[] wide = [.. skus, "ABĀ", "ÿA"];
        Assert.False(SkuOrder.TryNarrowKey("ABĀ", out _));
        Assert.Equal(wide.OrderBy(s => s, StringComparer.Ordinal), Sorted(wide));
    }
}
