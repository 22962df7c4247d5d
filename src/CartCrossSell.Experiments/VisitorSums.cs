namespace CartCrossSell.Experiments;

/// <summary>
/// The sums over the visitors of one cohort and window of their sessions' totals: visitors are the unit of assignment
/// (every session of a visitor is in one cohort) while revenue per session is the unit of analysis, so a visitor's
/// sessions are not independent draws. With these sums the variance of revenue per session is the cluster-robust one
/// (<see cref="AovStatistics.Compare"/>), which equals Welch's when every visitor has one session. Exact, like
/// <see cref="CohortSums"/>: a visitor's totals change by adding or retracting a session, and its contribution is
/// replaced, so a revision ends where a batch recomputation does. Additive over disjoint sets of visitors only: the
/// same visitor in two hours is one visitor of their day, so hours' sums do not add up to the day's.
/// </summary>
/// <param name="Visitors">Visitors with at least one session in the window.</param>
/// <param name="RevenueSquares">Σ over visitors of (the revenue of their sessions)².</param>
/// <param name="RevenueTimesSessions">Σ over visitors of their revenue × their sessions.</param>
/// <param name="SessionSquares">Σ over visitors of (their sessions)².</param>
public readonly record struct VisitorSums(long Visitors, decimal RevenueSquares, decimal RevenueTimesSessions, long SessionSquares)
{
    /// <summary>The contribution of one visitor with <paramref name="sessions"/> sessions worth <paramref name="revenue"/> in all (none for 0 sessions).</summary>
    public static VisitorSums Of(decimal revenue, long sessions) =>
        sessions == 0 ? default : new VisitorSums(1, revenue * revenue, revenue * sessions, sessions * sessions);

    public static VisitorSums operator +(VisitorSums a, VisitorSums b) => new(
        a.Visitors + b.Visitors, a.RevenueSquares + b.RevenueSquares, a.RevenueTimesSessions + b.RevenueTimesSessions, a.SessionSquares + b.SessionSquares);

    public static VisitorSums operator -(VisitorSums a, VisitorSums b) => new(
        a.Visitors - b.Visitors, a.RevenueSquares - b.RevenueSquares, a.RevenueTimesSessions - b.RevenueTimesSessions, a.SessionSquares - b.SessionSquares);
}

/// <summary>One visitor's sessions and their revenue in one cohort and window (what its contribution to <see cref="VisitorSums"/> is made of).</summary>
internal readonly record struct VisitorTotal(decimal Revenue, long Sessions);
