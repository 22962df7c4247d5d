namespace CartCrossSell.Experiments;

public sealed record SessionWindowOptions
{
    public static readonly TimeSpan DefaultInactivityGap = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromMinutes(15);

    /// <summary>A session ends after this long without an event; an event exactly this long after the last starts a new one.</summary>
    public TimeSpan InactivityGap { get; init; } = DefaultInactivityGap;

    /// <summary>How long after a session went inactive a late event may still revise it.</summary>
    public TimeSpan Grace { get; init; } = DefaultGrace;

    internal void Validate()
    {
        if (InactivityGap <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InactivityGap), InactivityGap, "The inactivity gap must be positive.");
        }

        if (Grace < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Grace), Grace, "The grace period cannot be negative.");
        }
    }
}

public enum EventDisposition
{
    Accepted,

    /// <summary>An order id, impression (cart and value version) or widget add event id the session already holds: redelivery, counted once.</summary>
    Duplicate,

    /// <summary>Too late: the session it belongs to is final. Counted in <see cref="SessionOutcomeProcessor.DroppedLateEvents"/>.</summary>
    DroppedLate,
}

/// <summary>What one event did, and the outcome changes that became due with it (in emission order).</summary>
public sealed record ProcessResult(EventDisposition Disposition, IReadOnlyList<SessionOutcomeChange> Changes);

/// <summary>
/// Event-time session windows per session id, turning cart views and orders into one <see cref="SessionOutcome"/>
/// per exposed session. Single-threaded by design, like a stream processor task: one instance per partition.
/// <para>
/// Rules (t = event time, ST = stream time, the largest event time seen or the time given to <see cref="AdvanceTo"/>):
/// an event joins every open window of its session with start - gap &lt; t &lt; end + gap, merging them;
/// a window is emitted once ST &gt;= end + gap, when it holds a cart view (no view, no exposure, no outcome);
/// it stays revisable until ST &gt;= end + gap + grace, then it is final and forgotten;
/// an event that would land in a final window, or would open a window already past its grace, is dropped late.
/// </para>
/// </summary>
public sealed class SessionOutcomeProcessor
{
    private readonly ExperimentConfig _experiment;
    private readonly long _gapTicks;
    private readonly long _graceTicks;
    private readonly Dictionary<string, SessionTrack> _tracks = new(StringComparer.Ordinal);

    // Deadlines are scheduled lazily: each change re-enqueues the window with a new version, stale entries are skipped.
    // The sequence number breaks ties so that emission order never depends on the heap's internals.
    private readonly PriorityQueue<(Window Window, long Version), (long Ticks, long Sequence)> _deadlines = new();
    private readonly PriorityQueue<SessionTrack, (long Ticks, long Sequence)> _tombstones = new();
    private long _sequence;
    private long _streamTicks = long.MinValue;

    public SessionOutcomeProcessor(ExperimentConfig experiment, SessionWindowOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        options ??= new SessionWindowOptions();
        options.Validate();
        _experiment = experiment;
        _gapTicks = options.InactivityGap.Ticks;
        _graceTicks = options.Grace.Ticks;
    }

    public ExperimentConfig Experiment => _experiment;

    /// <summary>The processor's notion of now, in event time; null before the first event.</summary>
    public DateTimeOffset? StreamTime => _streamTicks == long.MinValue ? null : new DateTimeOffset(_streamTicks, TimeSpan.Zero);

    public long DroppedLateEvents { get; private set; }

    /// <summary>Windows still held in memory (open, or emitted and within grace).</summary>
    public int LiveWindows { get; private set; }

    public ProcessResult Process(ExperimentEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var t = evt.Timestamp.UtcTicks;
        _tracks.TryGetValue(evt.SessionId, out var track);
        if (IsLate(track, t))
        {
            DroppedLateEvents++;
            return new ProcessResult(EventDisposition.DroppedLate, []);
        }

        if (track is null)
        {
            track = new SessionTrack(evt.SessionId);
            _tracks.Add(evt.SessionId, track);
        }

        var window = Absorb(track, evt, out var changed);
        if (changed)
        {
            Schedule(window);
        }

        var changes = AdvanceTo(new DateTimeOffset(Math.Max(_streamTicks, t), TimeSpan.Zero));
        return new ProcessResult(changed ? EventDisposition.Accepted : EventDisposition.Duplicate, changes);
    }

    /// <summary>
    /// Moves stream time forward (never back) and returns the changes that fell due, in deadline order.
    /// A topology calls this from a punctuator so quiet partitions still close their sessions.
    /// </summary>
    public IReadOnlyList<SessionOutcomeChange> AdvanceTo(DateTimeOffset streamTime)
    {
        _streamTicks = Math.Max(_streamTicks, streamTime.UtcTicks);
        var changes = new List<SessionOutcomeChange>();
        while (_deadlines.TryPeek(out var entry, out var due) && due.Ticks <= _streamTicks)
        {
            _deadlines.Dequeue();
            var (window, version) = entry;
            if (window.Removed || window.Version != version)
            {
                continue;
            }

            if (window.Dirty)
            {
                Emit(window, changes);
                Schedule(window);
            }
            else
            {
                FinalizeWindow(window);
            }
        }

        while (_tombstones.TryPeek(out var track, out var due) && due.Ticks <= _streamTicks)
        {
            _tombstones.Dequeue();
            if (track.Windows.Count == 0 && track.TombstoneExpiry == due.Ticks)
            {
                _tracks.Remove(track.SessionId);
            }
        }

        return changes;
    }

    private bool IsLate(SessionTrack? track, long t)
    {
        if (_streamTicks == long.MinValue)
        {
            return false;
        }

        // Within a gap of a final window, the event belongs to a session that can no longer change.
        if (track?.FinalizedEnd is { } finalizedEnd && t < finalizedEnd + _gapTicks)
        {
            return true;
        }

        if (track is not null && track.Windows.Exists(w => Joins(w, t)))
        {
            return false;
        }

        // A window of its own would already be past its grace.
        return t + _gapTicks + _graceTicks <= _streamTicks;
    }

    private bool Joins(Window w, long t) => w.Start - _gapTicks < t && t < w.End + _gapTicks;

    private Window Absorb(SessionTrack track, ExperimentEvent evt, out bool changed)
    {
        var t = evt.Timestamp.UtcTicks;
        var hits = track.Windows.FindAll(w => Joins(w, t));
        Window target;
        if (hits.Count == 0)
        {
            target = new Window(t);
            track.Windows.Add(target);
            LiveWindows++;
        }
        else
        {
            // The survivor keeps the key of the earliest emitted window, so its revision replaces that record;
            // every other emitted window it swallows is retracted when the merged session is emitted again.
            target = hits.Where(w => w.Emitted is not null).OrderBy(w => w.Start).FirstOrDefault()
                     ?? hits.OrderBy(w => w.Start).First();
            foreach (var other in hits)
            {
                if (!ReferenceEquals(other, target))
                {
                    target.MergeFrom(other);
                    other.Removed = true;
                    track.Windows.Remove(other);
                    LiveWindows--;
                }
            }
        }

        changed = target.Add(evt, ++_sequence) || hits.Count > 1;
        return target;
    }

    private void Schedule(Window window)
    {
        window.Version++;
        var due = window.Dirty ? window.End + _gapTicks : window.End + _gapTicks + _graceTicks;
        _deadlines.Enqueue((window, window.Version), (due, ++_sequence));
    }

    private void Emit(Window window, List<SessionOutcomeChange> changes)
    {
        window.Dirty = false;
        foreach (var absorbed in window.PendingRetractions)
        {
            changes.Add(SessionOutcomeChange.Retracted(absorbed));
        }

        window.PendingRetractions.Clear();
        var outcome = BuildOutcome(window);
        if (outcome is null)
        {
            return;
        }

        if (window.Emitted is null)
        {
            changes.Add(SessionOutcomeChange.Closed(outcome));
            window.Emitted = outcome;
        }
        else if (!window.Emitted.SameFigures(outcome))
        {
            var revised = outcome with { Revision = window.Emitted.Revision + 1 };
            changes.Add(SessionOutcomeChange.Revised(window.Emitted, revised));
            window.Emitted = revised;
        }
    }

    private SessionOutcome? BuildOutcome(Window window)
    {
        if (window.Views.Count == 0)
        {
            return null;
        }

        // The exposure is the first cart view in event time; its ids are what the storefront hashed when it
        // decided whether to render the widget.
        var exposure = window.Views.MinBy(v => (v.Ticks, v.Sequence));
        var subject = CohortAssignment.SubjectId(exposure.VisitorId, window.SessionId!);
        decimal revenue = 0m, crossSellRevenue = 0m;
        var crossSellLines = 0;
        foreach (var order in window.Orders.Values)
        {
            foreach (var line in order.Lines)
            {
                revenue += line.Revenue;
                if (line.IsCrossSell)
                {
                    crossSellLines++;
                    crossSellRevenue += line.Revenue;
                }
            }
        }

        var key = window.Emitted?.SessionKey ?? $"{window.SessionId}@{new DateTimeOffset(window.Start, TimeSpan.Zero).ToUnixTimeMilliseconds()}";
        return new SessionOutcome
        {
            SessionKey = key,
            SessionId = window.SessionId!,
            SubjectId = subject,
            ExperimentId = _experiment.ExperimentId,
            Salt = _experiment.Salt,
            HoldoutShare = _experiment.HoldoutShare,
            Cohort = CohortAssignment.Assign(_experiment.Salt, _experiment.ExperimentId, subject, _experiment.HoldoutShare),
            ExposedAt = new DateTimeOffset(exposure.Ticks, TimeSpan.Zero),
            WindowStart = new DateTimeOffset(window.Start, TimeSpan.Zero),
            WindowEnd = new DateTimeOffset(window.End, TimeSpan.Zero),
            Revenue = revenue,
            Orders = window.Orders.Count,
            CrossSellLines = crossSellLines,
            CrossSellRevenue = crossSellRevenue,
            Engagement = EngagementAttribution.Of(window.Impressions.Values, window.WidgetAdds.Values, window.Orders.Values.SelectMany(o => o.Lines)),
        };
    }

    private void FinalizeWindow(Window window)
    {
        window.Removed = true;
        LiveWindows--;
        var track = _tracks[window.SessionId!];
        track.Windows.Remove(window);
        track.FinalizedEnd = Math.Max(track.FinalizedEnd ?? long.MinValue, window.End);
        // Past this point any event within a gap of the final window is late by the plain rule anyway.
        track.TombstoneExpiry = track.FinalizedEnd.Value + 2 * _gapTicks + _graceTicks;
        _tombstones.Enqueue(track, (track.TombstoneExpiry, ++_sequence));
    }

    private sealed class SessionTrack(string sessionId)
    {
        public string SessionId { get; } = sessionId;
        public List<Window> Windows { get; } = [];
        public long? FinalizedEnd { get; set; }
        public long TombstoneExpiry { get; set; }
    }

    private readonly record struct View(long Ticks, long Sequence, string? VisitorId);

    private sealed class Window(long firstTicks)
    {
        public string? SessionId { get; private set; }
        public long Start { get; private set; } = firstTicks;
        public long End { get; private set; } = firstTicks;
        public List<View> Views { get; } = [];
        public Dictionary<string, OrderCompletedEvent> Orders { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, ImpressionShownEvent> Impressions { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, WidgetAddEvent> WidgetAdds { get; } = new(StringComparer.Ordinal);
        public List<SessionOutcome> PendingRetractions { get; } = [];
        public SessionOutcome? Emitted { get; set; }
        public bool Dirty { get; set; }
        public bool Removed { get; set; }
        public long Version { get; set; }

        public bool Add(ExperimentEvent evt, long sequence)
        {
            SessionId ??= evt.SessionId;
            var t = evt.Timestamp.UtcTicks;
            switch (evt)
            {
                case CartViewedEvent view:
                    Views.Add(new View(t, sequence, view.VisitorId));
                    break;
                case OrderCompletedEvent order:
                    if (!Orders.TryAdd(order.OrderId, order))
                    {
                        return false;
                    }

                    break;
                // One value version shown is one impression, however often the widget (or a replay) reports it.
                case ImpressionShownEvent impression:
                    if (!Impressions.TryAdd(impression.ImpressionId, impression))
                    {
                        return false;
                    }

                    break;
                case WidgetAddEvent add:
                    if (!WidgetAdds.TryAdd(add.EventId, add))
                    {
                        return false;
                    }

                    break;
                default:
                    throw new ArgumentException($"Unsupported experiment event {evt.GetType().Name}.", nameof(evt));
            }

            Start = Math.Min(Start, t);
            End = Math.Max(End, t);
            Dirty = true;
            return true;
        }

        public void MergeFrom(Window other)
        {
            SessionId ??= other.SessionId;
            Start = Math.Min(Start, other.Start);
            End = Math.Max(End, other.End);
            Views.AddRange(other.Views);
            foreach (var (orderId, order) in other.Orders)
            {
                Orders.TryAdd(orderId, order);
            }

            foreach (var (impressionId, impression) in other.Impressions)
            {
                Impressions.TryAdd(impressionId, impression);
            }

            foreach (var (eventId, add) in other.WidgetAdds)
            {
                WidgetAdds.TryAdd(eventId, add);
            }

            PendingRetractions.AddRange(other.PendingRetractions);
            if (other.Emitted is not null)
            {
                PendingRetractions.Add(other.Emitted);
            }

            Dirty = true;
        }
    }
}
