using CartCrossSell.Experiments;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// The holdout experiment (docs/experiments.md). Bound from the <c>Experiment</c> configuration section. The
/// recommender uses it to withhold add-ons from holdout carts, the outcomes topologies to measure both cohorts.
/// </summary>
public sealed class ExperimentOptions
{
    public const string SectionName = "Experiment";

    /// <summary>False: every cart is treated (no holdout, no experiment id) and the outcomes group starts nothing.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Identity of the experiment; part of the assignment hash and of every aggregate's key.</summary>
    public string ExperimentId { get; set; } = "cart-xsell";

    /// <summary>Assignment salt: a new salt reshuffles every visitor, which starts a new experiment.</summary>
    public string Salt { get; set; } = "";

    /// <summary>Share of visitors in the holdout, strictly between 0 and 1. Default 0.10.</summary>
    public double HoldoutShare { get; set; } = ExperimentConfig.DefaultHoldoutShare;

    /// <summary>A session ends after this long without an event. Default 30 minutes.</summary>
    public TimeSpan InactivityGap { get; set; } = SessionWindowOptions.DefaultInactivityGap;

    /// <summary>How long after a session went inactive a late event may still revise it. Default 15 minutes.</summary>
    public TimeSpan Grace { get; set; } = SessionWindowOptions.DefaultGrace;

    /// <summary>
    /// Before each commit the session topology moves each partition's stream time to at least wall clock minus this,
    /// so quiet partitions still close their sessions. An event reaching the topology more than
    /// InactivityGap + Grace + StreamTimeLag after it happened may be dropped as late. Default 5 minutes.
    /// </summary>
    public TimeSpan StreamTimeLag { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A cart view or order older than this (or more than <see cref="Grace"/> ahead, at most <c>Streams:MaxFutureSkew</c>)
    /// is dead-lettered as <c>implausible-time</c> before it reaches the session windows: a view dated further ahead would
    /// move its partition's stream time past the open sessions' gap and grace, closing them early and making the next
    /// honest events late. Default 30 days.
    /// </summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Events one session's log (store <c>session-windows</c>) keeps; a view, order, impression or widget add beyond it
    /// is dead-lettered as <c>session-too-large</c> and not counted. The log is one state record and every event of a
    /// session is in it until the session has been quiet for two gaps and the grace, so without a limit a client
    /// reporting under one session id (a valueVersion of its choosing is a new impression each time) grows it until the
    /// changelog's producer refuses it. Default 1,000: a shopper's session is tens of events.
    /// </summary>
    public int MaxSessionEvents { get; set; } = 1_000;

    public ExperimentConfig Config => new(ExperimentId, Salt, HoldoutShare);

    public SessionWindowOptions Windows => new() { InactivityGap = InactivityGap, Grace = Grace };

    public void Validate()
    {
        if (!Enabled) return;
        if (string.IsNullOrWhiteSpace(ExperimentId))
            throw new OptionsValidationException($"{SectionName}:ExperimentId is required while {SectionName}:Enabled is true");
        if (ExperimentId.Length > 128)
            throw new OptionsValidationException($"{SectionName}:ExperimentId must be at most 128 characters, was {ExperimentId.Length}");
        if (Salt is null) throw new OptionsValidationException($"{SectionName}:Salt must not be null (it may be empty)");
        if (!(HoldoutShare > 0 && HoldoutShare < 1))
            throw new OptionsValidationException($"{SectionName}:HoldoutShare must lie strictly between 0 and 1, was {HoldoutShare}");
        if (InactivityGap <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:InactivityGap must be positive, was {InactivityGap}");
        if (Grace < TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:Grace must not be negative, was {Grace}");
        if (MaxEventAge <= TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:MaxEventAge must be positive, was {MaxEventAge}");
        if (MaxSessionEvents is < 1 or > 100_000)
            throw new OptionsValidationException($"{SectionName}:MaxSessionEvents must be between 1 and 100000, was {MaxSessionEvents}");
        if (StreamTimeLag < TimeSpan.Zero)
            throw new OptionsValidationException($"{SectionName}:StreamTimeLag must not be negative, was {StreamTimeLag}");
    }
}
