namespace CartCrossSell.Experiments;

public sealed record AovAggregatorOptions
{
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>The sample-ratio check flags a window when its chi-square p-value is below this.</summary>
    public double SrmThreshold { get; init; } = 0.001;

    public const int DefaultMaxAddOns = 20;

    /// <summary>Add-ons published per cohort and window (the most shown); the rest are summed in one "other" row, so the record stays bounded.</summary>
    public int MaxAddOns { get; init; } = DefaultMaxAddOns;

    public const int DefaultMaxModelVersions = 10;

    /// <summary>
    /// Model versions published per cohort and window (the most impressions); the rest are summed in one "other" row.
    /// The trainer promotes versions for as long as the experiment runs, so the running total would otherwise grow.
    /// </summary>
    public int MaxModelVersions { get; init; } = DefaultMaxModelVersions;

    internal void Validate()
    {
        if (MaxAddOns is < 0 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAddOns), MaxAddOns, "MaxAddOns must lie between 0 and 1000.");
        }

        if (MaxModelVersions is < 0 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxModelVersions), MaxModelVersions, "MaxModelVersions must lie between 0 and 1000.");
        }

        AovStatistics.ValidateConfidence(ConfidenceLevel);
        if (!(SrmThreshold > 0 && SrmThreshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(SrmThreshold), SrmThreshold, "The SRM threshold must lie strictly between 0 and 1.");
        }
    }
}

/// <summary>Identity of one aggregate: also the key the topology publishes it under.</summary>
public readonly record struct AggregateKey(string ExperimentId, string Salt, WindowKind Window, DateTimeOffset WindowStart)
{
    /// <summary>The fixed start the running-total window is keyed by (its published start is the first exposure seen).</summary>
    public static readonly DateTimeOffset TotalKeyStart = DateTimeOffset.UnixEpoch;

    /// <summary>The hour, the day and the running total an outcome counts in, by its exposure time (UTC).</summary>
    public static AggregateKey[] For(SessionOutcome outcome)
    {
        var exposed = outcome.ExposedAt.UtcTicks;
        return
        [
            new(outcome.ExperimentId, outcome.Salt, WindowKind.Hour, new DateTimeOffset(exposed - exposed % TimeSpan.TicksPerHour, TimeSpan.Zero)),
            new(outcome.ExperimentId, outcome.Salt, WindowKind.Day, new DateTimeOffset(exposed - exposed % TimeSpan.TicksPerDay, TimeSpan.Zero)),
            new(outcome.ExperimentId, outcome.Salt, WindowKind.Total, TotalKeyStart),
        ];
    }

    /// <summary>Exclusive end of an hour or day window; null for the open-ended total.</summary>
    public DateTimeOffset? WindowEnd => Window switch
    {
        WindowKind.Hour => WindowStart.AddHours(1),
        WindowKind.Day => WindowStart.AddDays(1),
        _ => null,
    };
}

/// <summary>
/// Maintains exact per-(experiment, window) cohort sums from session outcome changes and recomputes the
/// <see cref="AovAggregate"/> of every window a change touches. It keeps no per-session state: each change brings the
/// outcome it replaces, so a late revision is subtracted and re-added instead of double-counted.
/// Not thread-safe, like any stream processor's state.
/// </summary>
public sealed class AovAggregator
{
    private readonly AovAggregatorOptions _options;
    private readonly Dictionary<AggregateKey, WindowState> _windows = new();

    // The hour windows and the day windows of each experiment in time order, for the visitor sums to date.
    private readonly Dictionary<(string ExperimentId, string Salt, WindowKind Window), Series> _series = new();

    // Outcomes were added without their visitor steps (AddRestored): every step is computed again before the next use.
    private bool _stepsStale;

    public AovAggregator(AovAggregatorOptions? options = null)
    {
        _options = options ?? new AovAggregatorOptions();
        _options.Validate();
    }

    public AovAggregatorOptions Options => _options;

    public int WindowCount => _windows.Count;

    /// <summary>Applies one change and returns the recomputed aggregate of each window it touched.</summary>
    public IReadOnlyList<AovAggregate> Apply(SessionOutcomeChange change, DateTimeOffset computedAt) => ApplyAll([change], computedAt);

    /// <summary>
    /// Applies a batch of changes (e.g. one poll of a partition) and returns each touched window's aggregate once,
    /// computed after the whole batch, ordered by key.
    /// </summary>
    public IReadOnlyList<AovAggregate> ApplyAll(IEnumerable<SessionOutcomeChange> changes, DateTimeOffset computedAt)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var touched = new HashSet<AggregateKey>();
        foreach (var change in changes) Accumulate(change, touched);
        return touched.Order(KeyComparer.Instance).Select(k => Build(k, _windows[k], computedAt)).ToArray();
    }

    /// <summary>
    /// Applies one change and computes nothing: for a caller that publishes the touched windows later (the topology's
    /// punctuation, the derivation of the sums from a restored store), where an aggregate built per change, with its
    /// statistics and sorted tables, would be thrown away. The windows it touched are added to <paramref name="touched"/>.
    /// </summary>
    public void Accumulate(SessionOutcomeChange change, ISet<AggregateKey>? touched = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Previous is { } previous)
        {
            Update(previous, retract: true, touched);
        }

        if (change.Current is { } current)
        {
            Update(current, retract: false, touched);
        }
    }

    /// <summary>
    /// Adds the outcome of a session as a restored table holds it, in any order (the derivation of the sums after a
    /// start): the visitor sums to date are then computed once for all windows, in one pass over them, before they are
    /// next read. <see cref="Accumulate"/> moves them session by session, which costs a walk over every later window
    /// for a session out of time order, and in a restore, which goes by key, nearly every session is. Meant for a new
    /// aggregator: after tables were forgotten, the sums to date of every window up to the last forgotten one become
    /// unknown.
    /// </summary>
    public void AddRestored(SessionOutcome outcome, ISet<AggregateKey>? touched = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        Update(outcome, retract: false, touched, steps: false);
        _stepsStale = true;
    }

    /// <summary>
    /// Why <paramref name="outcome"/> cannot be added, or null: its counts must be ones a session can have, and one
    /// experiment id and salt means one configured split (a session carrying another holdout share would make the
    /// sample-ratio check lie). Checked before anything
    /// changes, so a rejected outcome leaves every window as it was.
    /// </summary>
    public string? Conflict(SessionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        // Counts no session can have (more clicks than widget adds or than showings, a count below zero) would take a
        // window's sums where Update refuses them, after some windows moved; refused here, before anything is stored.
        if (CohortSums.Of(outcome).IsInconsistent)
            return $"session {outcome.SessionKey} carries counts no session can have (below zero, or more clicks than showings or widget adds)";
        foreach (var key in AggregateKey.For(outcome))
            if (_windows.TryGetValue(key, out var state) && state.HoldoutShare != outcome.HoldoutShare)
                return $"session {outcome.SessionKey} carries holdout share {outcome.HoldoutShare} but {key.ExperimentId} runs at {state.HoldoutShare}";
        return null;
    }

    public bool TryGet(AggregateKey key, DateTimeOffset computedAt, out AovAggregate? aggregate)
    {
        aggregate = _windows.TryGetValue(key, out var state) ? Build(key, state, computedAt) : null;
        return aggregate is not null;
    }

    /// <summary>The raw sums of one window, for merging or auditing.</summary>
    public (CohortSums Treatment, CohortSums Holdout)? SumsOf(AggregateKey key) =>
        _windows.TryGetValue(key, out var state) ? (state.Treatment, state.Holdout) : null;

    /// <summary>The exact per-add-on sums of one window (every sku shown, not only the published top).</summary>
    public (AddOnTable Treatment, AddOnTable Holdout)? AddOnsOf(AggregateKey key) =>
        _windows.TryGetValue(key, out var state) ? (state.TreatmentTables.AddOns, state.HoldoutTables.AddOns) : null;

    /// <summary>The exact per-model-version sums of one window (every version, not only the published top).</summary>
    public (ModelTable Treatment, ModelTable Holdout)? ModelsOf(AggregateKey key) =>
        _windows.TryGetValue(key, out var state) ? (state.TreatmentTables.Models, state.HoldoutTables.Models) : null;

    public IReadOnlyList<AovAggregate> Snapshot(DateTimeOffset computedAt) =>
        _windows.Keys.Order(KeyComparer.Instance).Select(k => Build(k, _windows[k], computedAt)).ToArray();

    /// <summary>
    /// Forgets the per-visitor tables of hour and day windows that ended at or before <paramref name="horizon"/>, and
    /// keeps their visitor sums as they are: a window no session can change any more needs its sums only, and the
    /// tables, one entry per visitor and window, are what the visitor sums cost in memory. A change that still reaches
    /// such a window (a session revised later than the horizon allowed for) makes that cohort's visitor sums unknown,
    /// and its comparison counts sessions as independent again: less robust, never wrong. Returns the tables forgotten.
    /// </summary>
    public int ForgetVisitorsOfWindowsEndingBefore(DateTimeOffset horizon)
    {
        EnsureSteps(); // from the tables about to go
        var forgotten = 0;
        foreach (var (key, state) in _windows)
        {
            if (key.WindowEnd is not { } end || end > horizon) continue;
            forgotten += state.TreatmentVisitors.Forget() + state.HoldoutVisitors.Forget();
        }

        return forgotten;
    }

    /// <summary>
    /// Forgets hour and day windows that ended at or before <paramref name="horizon"/>; running totals are kept.
    /// Choose a horizon older than inactivity gap + grace, or a late revision would re-open a partial window.
    /// </summary>
    public int EvictWindowsEndingBefore(DateTimeOffset horizon)
    {
        EnsureSteps();
        var stale = _windows.Keys.Where(k => k.WindowEnd is { } end && end <= horizon).ToList();
        foreach (var key in stale)
        {
            var series = _series[(key.ExperimentId, key.Salt, key.Window)];
            var state = _windows[key];
            series.Evicted = (series.Evicted.Treatment + state.TreatmentStep.Sums, series.Evicted.Holdout + state.HoldoutStep.Sums);
            series.Windows.Remove(key.WindowStart);
            series.Changed();
            _windows.Remove(key);
        }

        return stale.Count;
    }

    /// <summary>
    /// The aggregate of one window from its sums: the same function streaming and batch both end in. Without the
    /// cohorts' <see cref="VisitorSums"/> every session counts as its own visitor.
    /// </summary>
    public static AovAggregate Build(
        AggregateKey key,
        CohortSums treatment,
        CohortSums holdout,
        double holdoutShare,
        DateTimeOffset? firstExposure,
        AovAggregatorOptions options,
        DateTimeOffset computedAt,
        EngagementTables? treatmentTables = null,
        EngagementTables? holdoutTables = null,
        VisitorSums? treatmentVisitors = null,
        VisitorSums? holdoutVisitors = null,
        VisitorSums? treatmentVisitorsToDate = null,
        VisitorSums? holdoutVisitorsToDate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var start = key.Window == WindowKind.Total ? firstExposure ?? computedAt : key.WindowStart;
        var end = key.WindowEnd ?? computedAt;
        return new AovAggregate(
            key.ExperimentId,
            key.Salt,
            key.Window,
            start,
            end,
            AovStatistics.Describe(treatment, treatmentTables, options) with { Visitors = treatmentVisitors, VisitorsToDate = treatmentVisitorsToDate },
            AovStatistics.Describe(holdout, holdoutTables, options) with { Visitors = holdoutVisitors, VisitorsToDate = holdoutVisitorsToDate },
            AovStatistics.Compare(treatment, holdout, options.ConfidenceLevel, treatmentVisitors, holdoutVisitors),
            AovStatistics.CheckSampleRatio(treatment.ExposedSessions, holdout.ExposedSessions, holdoutShare, options.SrmThreshold,
                treatmentVisitors?.Visitors, holdoutVisitors?.Visitors),
            AovStatistics.Naive(treatment),
            computedAt);
    }

    private AovAggregate Build(AggregateKey key, WindowState state, DateTimeOffset computedAt)
    {
        EnsureSteps();
        var toDate = key.Window == WindowKind.Total
            ? (Treatment: null, Holdout: null)
            : _series[(key.ExperimentId, key.Salt, key.Window)].ToDate(key.WindowStart);
        return Build(key, state.Treatment, state.Holdout, state.HoldoutShare, state.FirstExposure, _options, computedAt, state.TreatmentTables, state.HoldoutTables,
            state.TreatmentVisitors.Sums, state.HoldoutVisitors.Sums, toDate.Treatment, toDate.Holdout);
    }

    private void Update(SessionOutcome outcome, bool retract, ISet<AggregateKey>? touched, bool steps = true)
    {
        var contribution = CohortSums.Of(outcome);
        var keys = AggregateKey.For(outcome);
        // What the visitor adds to the sums to date of each hour and day from this session's window on, before and
        // after: the session moves the visitor's totals from its window to the end of the experiment.
        if (steps) EnsureSteps();
        var hourBefore = steps ? VisitorSteps(keys[0], keys[2], outcome) : null;
        var dayBefore = steps ? VisitorSteps(keys[1], keys[2], outcome) : null;
        foreach (var key in keys)
        {
            if (!_windows.TryGetValue(key, out var state))
            {
                if (retract)
                {
                    throw new InvalidOperationException($"Retraction of session {outcome.SessionKey} from {key}, a window that holds nothing.");
                }

                state = new WindowState(outcome.HoldoutShare);
                _windows.Add(key, state);
                if (key.Window != WindowKind.Total)
                {
                    var seriesKey = (key.ExperimentId, key.Salt, key.Window);
                    if (!_series.TryGetValue(seriesKey, out var series)) _series.Add(seriesKey, series = new Series());
                    series.Windows.Add(key.WindowStart, state);
                    series.Changed();
                }
            }
            else if (state.HoldoutShare != outcome.HoldoutShare)
            {
                // One experiment id and salt means one configured split; anything else would make the SRM check lie.
                throw new ArgumentException(
                    $"Session {outcome.SessionKey} carries holdout share {outcome.HoldoutShare} but {key.ExperimentId} runs at {state.HoldoutShare}.",
                    nameof(outcome));
            }

            var sums = outcome.Cohort == Cohort.Holdout ? state.Holdout : state.Treatment;
            sums = retract ? sums - contribution : sums + contribution;
            if (sums.IsInconsistent)
            {
                throw new InvalidOperationException($"Retraction of session {outcome.SessionKey} from {key} takes its sums below zero.");
            }

            if (outcome.Cohort == Cohort.Holdout)
            {
                state.Holdout = sums;
            }
            else
            {
                state.Treatment = sums;
            }

            (outcome.Cohort == Cohort.Holdout ? state.HoldoutTables : state.TreatmentTables).Apply(outcome.Engagement, retract);
            (outcome.Cohort == Cohort.Holdout ? state.HoldoutVisitors : state.TreatmentVisitors).Apply(outcome, retract);

            // Revisions only ever move an exposure earlier (late views join, none leave), so the minimum over
            // everything added equals the minimum over the final outcomes.
            if (!retract && (state.FirstExposure is null || outcome.ExposedAt < state.FirstExposure))
            {
                state.FirstExposure = outcome.ExposedAt;
            }

            touched?.Add(key);
        }

        if (!steps) return;
        MoveSteps(keys[0], outcome.Cohort, hourBefore!, VisitorSteps(keys[0], keys[2], outcome), touched);
        MoveSteps(keys[1], outcome.Cohort, dayBefore!, VisitorSteps(keys[1], keys[2], outcome), touched);
    }

    /// <summary>
    /// Computes every window's visitor steps from the tables, after outcomes were added without them: per series and
    /// cohort, each visitor's totals before the series' first window (the running total's less what the windows hold),
    /// then the windows in time order, each visitor's totals moving on by what it has in the window.
    /// </summary>
    private void EnsureSteps()
    {
        if (!_stepsStale) return;
        foreach (var ((experimentId, salt, _), series) in _series)
        {
            var total = _windows[new AggregateKey(experimentId, salt, WindowKind.Total, AggregateKey.TotalKeyStart)];
            foreach (var cohort in (ReadOnlySpan<Cohort>)[Cohort.Treatment, Cohort.Holdout])
            {
                var totalTable = total.VisitorsOf(cohort);
                var windows = series.Windows.Values;
                // Up to the last window whose table was forgotten, what the visitors had before each window is unknown.
                var firstKnown = windows.Count;
                while (firstKnown > 0 && !windows[firstKnown - 1].VisitorsOf(cohort).Forgotten) firstKnown--;
                for (var i = 0; i < firstKnown; i++)
                {
                    windows[i].StepOf(cohort).Reset();
                    windows[i].StepOf(cohort).Add(null, retract: false);
                }

                var before = new Dictionary<string, VisitorTotal>(StringComparer.Ordinal);
                for (var i = firstKnown; i < windows.Count; i++)
                {
                    foreach (var (visitor, here) in windows[i].VisitorsOf(cohort).Entries!)
                    {
                        var seen = before.GetValueOrDefault(visitor, totalTable.Of(visitor));
                        before[visitor] = new VisitorTotal(seen.Revenue - here.Revenue, seen.Sessions - here.Sessions);
                    }
                }

                for (var i = firstKnown; i < windows.Count; i++)
                {
                    var step = windows[i].StepOf(cohort);
                    step.Reset();
                    var entries = windows[i].VisitorsOf(cohort).Entries!;
                    var sums = default(VisitorSums);
                    foreach (var (visitor, here) in entries)
                    {
                        var start = before[visitor];
                        sums += Step(start, here);
                        before[visitor] = new VisitorTotal(start.Revenue + here.Revenue, start.Sessions + here.Sessions);
                    }

                    step.Add(sums, retract: false);
                }
            }

            series.Changed();
        }

        _stepsStale = false;
    }

    /// <summary>
    /// The visitor's step in the sums to date of every window of <paramref name="window"/>'s kind from it on where the
    /// visitor has sessions (a window's step: what the visitor's totals up to its end add over those up to its start),
    /// latest first; null where it cannot be known, a window whose table was forgotten or one before such a window.
    /// The totals up to a window's end are the running total's minus what the visitor has in later windows: only the
    /// windows a revision can still reach are read.
    /// </summary>
    private List<(WindowState State, VisitorSums? Step)> VisitorSteps(AggregateKey window, AggregateKey total, SessionOutcome outcome)
    {
        var steps = new List<(WindowState, VisitorSums?)>();
        if (!_series.TryGetValue((window.ExperimentId, window.Salt, window.Window), out var series)) return steps;
        var visitor = outcome.SubjectId;
        var upToEnd = _windows.TryGetValue(total, out var totalState) ? totalState.VisitorsOf(outcome.Cohort).Of(visitor) : default;
        var blind = false;
        for (var i = series.Windows.Count - 1; i >= 0 && series.Windows.Keys[i] >= window.WindowStart; i--)
        {
            var state = series.Windows.Values[i];
            var table = state.VisitorsOf(outcome.Cohort);
            if (table.Forgotten)
            {
                blind = true;
                steps.Add((state, null));
                continue;
            }

            var here = table.Of(visitor);
            if (here.Sessions == 0) continue;
            if (blind)
            {
                steps.Add((state, null));
                continue;
            }

            var before = new VisitorTotal(upToEnd.Revenue - here.Revenue, upToEnd.Sessions - here.Sessions);
            steps.Add((state, Step(before, here)));
            upToEnd = before;
        }

        return steps;
    }

    /// <summary>One visitor's step in a window: its contribution with what it has there, less without (what it had before).</summary>
    private static VisitorSums Step(VisitorTotal before, VisitorTotal here) =>
        VisitorSums.Of(before.Revenue + here.Revenue, before.Sessions + here.Sessions) - VisitorSums.Of(before.Revenue, before.Sessions);

    /// <summary>Replaces the visitor's steps before a change by those after it; every window from the change's on has new sums to date.</summary>
    private void MoveSteps(AggregateKey window, Cohort cohort, List<(WindowState State, VisitorSums? Step)> before,
        List<(WindowState State, VisitorSums? Step)> after, ISet<AggregateKey>? touched)
    {
        var series = _series[(window.ExperimentId, window.Salt, window.Window)];
        foreach (var (state, step) in before) state.StepOf(cohort).Add(step, retract: true);
        foreach (var (state, step) in after) state.StepOf(cohort).Add(step, retract: false);
        series.Changed();
        if (touched is null) return;
        for (var i = series.Windows.Count - 1; i >= 0 && series.Windows.Keys[i] >= window.WindowStart; i--)
            touched.Add(window with { WindowStart = series.Windows.Keys[i] });
    }

    private sealed class WindowState(double holdoutShare)
    {
        public double HoldoutShare { get; } = holdoutShare;
        public CohortSums Treatment { get; set; }
        public CohortSums Holdout { get; set; }
        public EngagementTables TreatmentTables { get; } = new();
        public EngagementTables HoldoutTables { get; } = new();
        public VisitorTable TreatmentVisitors { get; } = new();
        public VisitorTable HoldoutVisitors { get; } = new();
        public DateTimeOffset? FirstExposure { get; set; }

        /// <summary>Hour and day windows: what this window adds to each cohort's visitor sums to date (unused by the total).</summary>
        public VisitorStep TreatmentStep { get; } = new();
        public VisitorStep HoldoutStep { get; } = new();

        public VisitorStep StepOf(Cohort cohort) => cohort == Cohort.Holdout ? HoldoutStep : TreatmentStep;

        public VisitorTable VisitorsOf(Cohort cohort) => cohort == Cohort.Holdout ? HoldoutVisitors : TreatmentVisitors;
    }

    /// <summary>
    /// One window's step in a cohort's visitor sums to date: over its visitors, the contribution of their totals up to
    /// the window's end less that of their totals up to its start. The steps of the windows up to one add up to the
    /// visitor sums of all their sessions together, each visitor once: a telescoping sum per visitor.
    /// </summary>
    private sealed class VisitorStep
    {
        private VisitorSums _sums;
        private bool _unknown;

        public VisitorSums? Sums => _unknown ? null : _sums;

        public void Reset() => (_sums, _unknown) = (default, false);

        public void Add(VisitorSums? step, bool retract)
        {
            if (step is not { } s) _unknown = true;
            else if (!_unknown) _sums = retract ? _sums - s : _sums + s;
        }
    }

    /// <summary>
    /// The hour (or day) windows of one experiment in time order, and their sums to date, computed again only after a
    /// step moved (a publication reads many windows of a series, a change moves few).
    /// </summary>
    private sealed class Series
    {
        private (VisitorSums? Treatment, VisitorSums? Holdout)[]? _toDate;

        public SortedList<DateTimeOffset, WindowState> Windows { get; } = new();

        /// <summary>The steps of windows evicted from the series, so the sums to date still start with the experiment.</summary>
        public (VisitorSums? Treatment, VisitorSums? Holdout) Evicted { get; set; } = (default(VisitorSums), default(VisitorSums));

        public void Changed() => _toDate = null;

        public (VisitorSums? Treatment, VisitorSums? Holdout) ToDate(DateTimeOffset windowStart)
        {
            if (_toDate is null)
            {
                _toDate = new (VisitorSums?, VisitorSums?)[Windows.Count];
                var (treatment, holdout) = Evicted;
                for (var i = 0; i < Windows.Count; i++)
                {
                    treatment += Windows.Values[i].TreatmentStep.Sums;
                    holdout += Windows.Values[i].HoldoutStep.Sums;
                    _toDate[i] = (treatment, holdout);
                }
            }

            return _toDate[Windows.IndexOfKey(windowStart)];
        }
    }

    /// <summary>
    /// Every visitor's sessions and revenue in one cohort of one window, and their <see cref="VisitorSums"/>: a session
    /// added or retracted replaces its visitor's contribution. In memory, like the rest of a window (the topology
    /// derives the windows again from its stored outcomes after a start).
    /// </summary>
    private sealed class VisitorTable
    {
        private Dictionary<string, VisitorTotal>? _visitors = new(StringComparer.Ordinal);
        private VisitorSums _sums;
        private bool _unknown;

        /// <summary>The sums, or null once a change reached the table after it was forgotten.</summary>
        public VisitorSums? Sums => _unknown ? null : _sums;

        public bool Forgotten => _visitors is null;

        /// <summary>Every visitor's sessions and revenue here; null once forgotten.</summary>
        public IReadOnlyDictionary<string, VisitorTotal>? Entries => _visitors;

        /// <summary>The visitor's sessions and revenue here (none when absent; call only while not <see cref="Forgotten"/>).</summary>
        public VisitorTotal Of(string visitor) => _visitors!.GetValueOrDefault(visitor);

        /// <summary>Drops the per-visitor entries and keeps the sums; 1 when there was a table to drop.</summary>
        public int Forget()
        {
            if (_visitors is null) return 0;
            _visitors = null;
            return 1;
        }

        public void Apply(SessionOutcome outcome, bool retract)
        {
            if (_visitors is null)
            {
                _unknown = true;
                return;
            }

            var before = _visitors.GetValueOrDefault(outcome.SubjectId);
            var after = retract
                ? new VisitorTotal(before.Revenue - outcome.Revenue, before.Sessions - 1)
                : new VisitorTotal(before.Revenue + outcome.Revenue, before.Sessions + 1);
            if (after.Sessions < 0)
            {
                throw new InvalidOperationException($"Retraction of session {outcome.SessionKey} from visitor {outcome.SubjectId}, who has no session there.");
            }

            _sums = _sums - VisitorSums.Of(before.Revenue, before.Sessions) + VisitorSums.Of(after.Revenue, after.Sessions);
            if (after.Sessions == 0)
            {
                _visitors.Remove(outcome.SubjectId);
            }
            else
            {
                _visitors[outcome.SubjectId] = after;
            }
        }
    }

    private sealed class KeyComparer : IComparer<AggregateKey>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(AggregateKey x, AggregateKey y)
        {
            var c = string.CompareOrdinal(x.ExperimentId, y.ExperimentId);
            if (c == 0)
            {
                c = string.CompareOrdinal(x.Salt, y.Salt);
            }

            if (c == 0)
            {
                c = x.Window.CompareTo(y.Window);
            }

            return c != 0 ? c : x.WindowStart.CompareTo(y.WindowStart);
        }
    }
}
