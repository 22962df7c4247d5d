using CartCrossSell.Contracts;

namespace CartCrossSell.Simulation;

/// <summary>What the simulator knows about one cohort's finished sessions.</summary>
public sealed record CohortTally(int Sessions, int Orders, decimal Revenue, int SessionsWithWidgetAdd, decimal WidgetRevenue, double ExpectedWidgetRevenue, int OffersConsidered, int OffersAccepted)
{
    public static readonly CohortTally Empty = new(0, 0, 0m, 0, 0m, 0, 0, 0);

    public decimal? RevenuePerSession => Sessions > 0 ? Revenue / Sessions : null;
}

/// <summary>
/// The simulator's own ledger of finished sessions by the cohort the storefront saw. It knows the truth the
/// measurement can only estimate: the widget revenue the model implies per treatment session.
/// </summary>
public sealed class SimulationTally
{
    private readonly Dictionary<string, CohortTally> _byCohort = new(StringComparer.Ordinal);

    /// <summary>Sessions for which no value was ever read (the module could not be shown or withheld).</summary>
    public const string NoValue = "no value";

    public int Sessions { get; private set; }
    public int Views { get; private set; }
    public int MissedViews { get; private set; }
    public IReadOnlyDictionary<string, CohortTally> ByCohort => _byCohort;

    public CohortTally Of(string cohort) => _byCohort.GetValueOrDefault(cohort, CohortTally.Empty);

    public void Add(ShopperSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Finished) throw new InvalidOperationException($"session {session.Plan.SessionId} has not ended");
        Sessions++;
        Views += session.Views;
        MissedViews += session.MissedViews;
        var cohort = session.Cohort ?? NoValue;
        var t = Of(cohort);
        var widget = session.WidgetRevenue;
        _byCohort[cohort] = t with
        {
            Sessions = t.Sessions + 1,
            Orders = t.Orders + (session.Ordered ? 1 : 0),
            Revenue = t.Revenue + (session.Ordered ? session.CartValue : 0m),
            SessionsWithWidgetAdd = t.SessionsWithWidgetAdd + (widget > 0 ? 1 : 0),
            WidgetRevenue = t.WidgetRevenue + widget,
            ExpectedWidgetRevenue = t.ExpectedWidgetRevenue + session.ExpectedWidgetRevenue,
            OffersConsidered = t.OffersConsidered + session.Considered.Count,
            OffersAccepted = t.OffersAccepted + session.Considered.Count(o => o.Accepted),
        };
    }

    /// <summary>
    /// The true incremental revenue per session the behaviour model implies: the expected widget revenue per treatment
    /// session. The holdout has no widget, and everything else about a session is drawn the same way in both cohorts.
    /// </summary>
    public double? TrueIncrementalRevenuePerSession => Of(Cohorts.Treatment) is { Sessions: > 0 } t ? t.ExpectedWidgetRevenue / t.Sessions : null;

    /// <summary>The widget revenue that actually happened per treatment session in this run (one draw of the above).</summary>
    public decimal? RealizedWidgetRevenuePerSession => Of(Cohorts.Treatment) is { Sessions: > 0 } t ? t.WidgetRevenue / t.Sessions : null;
}
