namespace CartCrossSell.Experiments;

/// <summary>
/// The additive state of one cohort in one window. Every field is a count (long) or money (decimal), so adding an
/// outcome and later subtracting it restores the previous value exactly: a streamed window with late revisions ends
/// bit-for-bit equal to a batch recomputation. Decimal stays exact while sums need at most 28 significant digits
/// (e.g. revenue squares up to 10^20 with 4 decimals), far beyond any cart. <see cref="Engagement"/> (impressions and
/// clicks) follows the same arithmetic; records written before it existed read it as zero.
/// </summary>
public readonly record struct CohortSums(
    long ExposedSessions,
    long ConvertedSessions,
    long Orders,
    decimal Revenue,
    decimal RevenueSquares,
    long CrossSellSessions,
    long CrossSellOrders,
    long CrossSellLines,
    decimal CrossSellRevenue,
    decimal AcceptedRevenue,
    decimal AcceptedRevenueSquares,
    EngagementSums Engagement = default)
{
    public static readonly CohortSums Empty = default;

    /// <summary>The contribution of one session.</summary>
    public static CohortSums Of(SessionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var accepted = outcome.AcceptedCrossSell;
        var square = outcome.Revenue * outcome.Revenue;
        return new CohortSums(
            ExposedSessions: 1,
            ConvertedSessions: outcome.Orders > 0 ? 1 : 0,
            Orders: outcome.Orders,
            Revenue: outcome.Revenue,
            RevenueSquares: square,
            CrossSellSessions: accepted ? 1 : 0,
            CrossSellOrders: accepted ? outcome.Orders : 0,
            CrossSellLines: outcome.CrossSellLines,
            CrossSellRevenue: outcome.CrossSellRevenue,
            AcceptedRevenue: accepted ? outcome.Revenue : 0m,
            AcceptedRevenueSquares: accepted ? square : 0m,
            Engagement: EngagementSums.Of(outcome.Engagement));
    }

    /// <summary>Merging two disjoint sets of sessions (partitions, or hours into a day) is plain addition.</summary>
    public static CohortSums operator +(CohortSums a, CohortSums b) => new(
        a.ExposedSessions + b.ExposedSessions,
        a.ConvertedSessions + b.ConvertedSessions,
        a.Orders + b.Orders,
        a.Revenue + b.Revenue,
        a.RevenueSquares + b.RevenueSquares,
        a.CrossSellSessions + b.CrossSellSessions,
        a.CrossSellOrders + b.CrossSellOrders,
        a.CrossSellLines + b.CrossSellLines,
        a.CrossSellRevenue + b.CrossSellRevenue,
        a.AcceptedRevenue + b.AcceptedRevenue,
        a.AcceptedRevenueSquares + b.AcceptedRevenueSquares,
        a.Engagement + b.Engagement);

    /// <summary>Retraction: the exact inverse of <c>+</c>.</summary>
    public static CohortSums operator -(CohortSums a, CohortSums b) => new(
        a.ExposedSessions - b.ExposedSessions,
        a.ConvertedSessions - b.ConvertedSessions,
        a.Orders - b.Orders,
        a.Revenue - b.Revenue,
        a.RevenueSquares - b.RevenueSquares,
        a.CrossSellSessions - b.CrossSellSessions,
        a.CrossSellOrders - b.CrossSellOrders,
        a.CrossSellLines - b.CrossSellLines,
        a.CrossSellRevenue - b.CrossSellRevenue,
        a.AcceptedRevenue - b.AcceptedRevenue,
        a.AcceptedRevenueSquares - b.AcceptedRevenueSquares,
        a.Engagement - b.Engagement);

    public long NotAcceptedSessions => ExposedSessions - CrossSellSessions;
    public long NotAcceptedOrders => Orders - CrossSellOrders;
    public decimal NotAcceptedRevenue => Revenue - AcceptedRevenue;
    public decimal NotAcceptedRevenueSquares => RevenueSquares - AcceptedRevenueSquares;

    /// <summary>True when some count went below zero: a retraction of something never added.</summary>
    public bool IsInconsistent => ExposedSessions < 0 || ConvertedSessions < 0 || Orders < 0 || CrossSellSessions < 0
                                  || CrossSellOrders < 0 || CrossSellLines < 0 || ConvertedSessions > ExposedSessions
                                  || CrossSellSessions > ExposedSessions || Engagement.IsInconsistent
                                  || Engagement.ImpressedSessions > ExposedSessions;
}
