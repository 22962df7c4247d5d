namespace CartCrossSell.Experiments;

/// <summary>
/// What one exposed session did, in one record: the unit of analysis of the holdout comparison.
/// <see cref="SessionKey"/> is fixed when the session is first emitted; every later revision carries the same key.
/// </summary>
public sealed record SessionOutcome
{
    public required string SessionKey { get; init; }
    public required string SessionId { get; init; }
    /// <summary>Visitor id of the exposure (first cart view), or the session id when it had none.</summary>
    public required string SubjectId { get; init; }
    public required string ExperimentId { get; init; }
    public required string Salt { get; init; }
    /// <summary>The configured holdout share, carried so the sample-ratio check needs no side lookup.</summary>
    public required double HoldoutShare { get; init; }
    public required Cohort Cohort { get; init; }
    /// <summary>Event time of the first cart view: the session's exposure, and what places it in hour/day windows.</summary>
    public required DateTimeOffset ExposedAt { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    /// <summary>Time of the session's last event.</summary>
    public required DateTimeOffset WindowEnd { get; init; }
    /// <summary>Sum of quantity times unit price over every order of the session; 0 when it did not order.</summary>
    public required decimal Revenue { get; init; }
    public required int Orders { get; init; }
    /// <summary>Order lines whose source is the cross-sell widget.</summary>
    public required int CrossSellLines { get; init; }
    public required decimal CrossSellRevenue { get; init; }
    /// <summary>What the module showed and what was taken from it; <see cref="SessionEngagement.None"/> for outcomes stored before engagement existed.</summary>
    // set, not init: source-generated JSON passes every init member to the initializer, so a stored outcome without
    // the member would read null instead of None (dotnet/runtime#84484, docs/contracts.md).
    public SessionEngagement Engagement { get; set; } = SessionEngagement.None;
    /// <summary>0 for the first emission, then 1, 2, ... for each revision by late events.</summary>
    public int Revision { get; init; }

    /// <summary>The session ordered at least one line from the widget.</summary>
    public bool AcceptedCrossSell => CrossSellLines > 0;

    /// <summary>Equal measurements, whatever the revision number: a late event that changes nothing emits nothing.</summary>
    public bool SameFigures(SessionOutcome other) =>
        this with { Revision = 0 } == other with { Revision = 0 };
}

public enum SessionChangeKind
{
    /// <summary>The session went inactive and is emitted for the first time.</summary>
    Closed,

    /// <summary>A late event within grace changed a session already emitted; replaces <see cref="SessionOutcomeChange.Previous"/>.</summary>
    Revised,

    /// <summary>A late event bridged two emitted sessions; this key was absorbed into the other and must be taken back.</summary>
    Retracted,
}

/// <summary>
/// A change to the published set of session outcomes, old and new side by side, so a downstream aggregate can
/// subtract <see cref="Previous"/> and add <see cref="Current"/> without keeping every session it ever saw.
/// </summary>
public sealed record SessionOutcomeChange(SessionChangeKind Kind, string SessionKey, SessionOutcome? Previous, SessionOutcome? Current)
{
    public static SessionOutcomeChange Closed(SessionOutcome current) => new(SessionChangeKind.Closed, current.SessionKey, null, current);

    public static SessionOutcomeChange Revised(SessionOutcome previous, SessionOutcome current) =>
        new(SessionChangeKind.Revised, current.SessionKey, previous, current);

    public static SessionOutcomeChange Retracted(SessionOutcome previous) => new(SessionChangeKind.Retracted, previous.SessionKey, previous, null);
}
