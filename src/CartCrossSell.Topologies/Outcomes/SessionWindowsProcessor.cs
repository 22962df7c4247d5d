using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// Session windows of one session-events partition, on Streamiz's Processor API (1.8.2 has no session windows). The
/// <see cref="SessionOutcomeProcessor"/> lives in memory; what it needs to be rebuilt lives in the store
/// <c>session-windows</c> (one log per session, <see cref="SessionLog"/>). Every change it emits leaves as the
/// session's current outcome (<see cref="OutcomeUpsert"/>).
/// <para>
/// After a crash: the store holds some prefix of what was written; the logs are replayed, in offset order, into a
/// fresh processor, and the current outcome of every session the replay touched is sent again (an emission lost in
/// the crash is not lost; one that was not is replaced by itself). Input replayed from the last commit is skipped
/// when its session's log holds its offset already.
/// </para>
/// <para>
/// Stream time also moves to wall clock minus <see cref="ExperimentOptions.StreamTimeLag"/> once per commit
/// interval, so quiet partitions still close their sessions.
/// </para>
/// </summary>
internal sealed class SessionWindowsProcessor(ProcessorRuntime runtime, ExperimentOptions experiment, TimeSpan tick, string output)
    : RecordProcessor<SessionEvent>(runtime, OutcomesTopology.SessionEventCodec)
{
    private readonly PriorityQueue<string, long> _expiries = new();
    private readonly Queue<(long Commits, long StreamTicks)> _observed = new();
    private readonly long _horizonTicks = 2 * experiment.InactivityGap.Ticks + experiment.Grace.Ticks;
    private readonly SessionWindowOptions _windows = experiment.Windows;
    private IKeyValueStore<string, SessionLog> _logs = null!;
    private IKeyValueStore<string, SessionClock> _clocks = null!;
    private CommitCounter _commits = null!;
    private SessionOutcomeProcessor? _sessions;

    protected override void Init()
    {
        _logs = Store<IKeyValueStore<string, SessionLog>>(TopologyNames.SessionWindowsStore);
        _clocks = Store<IKeyValueStore<string, SessionClock>>(TopologyNames.SessionClockStore);
        _commits = Store<CommitCounter>(TopologyNames.SessionCommitsStore);
        _sessions = null; // rebuilt once the stores are restored (Streamiz restores after Init)
        _expiries.Clear();
        _observed.Clear();
        Context.Schedule(tick, PunctuationType.PROCESSING_TIME, _ => Tick());
    }

    protected override void Process(InputRecord<SessionEvent> record)
    {
        var sessions = Sessions();
        var e = record.Value;
        var log = _logs.Get(e.SessionId);
        if (log is not null && record.Coordinates.Offset <= log.LastOffset) return; // applied before a crash: replayed input
        // The same view or order published twice (a retrying storefront): it would count once anyway (orders by id, a
        // second identical view changes no figure), but kept out it neither grows the log nor sends a revision.
        if (log is not null && log.Holds(e)) return;

        var before = sessions.StreamTime;
        // What the log would be with the event, checked before the windows see it: the log must replay to exactly the
        // windows in memory, so an event the log cannot take is not counted at all. A full log is refused before it is
        // copied (a client reporting under one id sends event after event there).
        var count = (log?.Events.Count ?? 0) + 1;
        if (count > experiment.MaxSessionEvents)
        {
            DeadLetter(OutcomesTopology.SessionTooLarge,
                $"session '{e.SessionId}' already logs {count - 1} events (Experiment:MaxSessionEvents): the {e.Kind}{ReadFrom(e)} is not counted");
            return;
        }
        // Logged without its origin: a replay of the log needs the event, not where the splitter read it.
        var logged = e.Origin is null ? e : e with { Origin = null };
        var grown = new SessionLog { SessionId = e.SessionId, Events = [.. log?.Events ?? [], new LoggedSessionEvent(record.Coordinates.Offset, before, logged)] };
        if (!FitsTheLog(grown, e)) return;
        ProcessResult result;
        try
        {
            result = sessions.Process(e.ToExperimentEvent());
        }
        catch
        {
            // The windows in memory may be half-changed: they are rebuilt from the store, which the event never reached.
            _sessions = null;
            _expiries.Clear();
            throw;
        }
        if (result.Disposition == EventDisposition.Accepted)
        {
            _logs.Put(e.SessionId, grown);
            _expiries.Enqueue(e.SessionId, grown.LastEventTime.UtcTicks + _horizonTicks);
        }
        Send(result.Changes);
        if (result.Disposition == EventDisposition.DroppedLate)
            DeadLetter(OutcomesTopology.LateEvent,
                $"session '{e.SessionId}': a {e.Kind} at {e.Timestamp:O}{ReadFrom(e)} is too late for its session window (stream time {before:O}, inactivity gap {_windows.InactivityGap}, grace {_windows.Grace})");
    }

    /// <summary>
    /// False, and a <c>session-too-large</c> dead letter, when the session's log with the event would take more than
    /// <c>Streams:MaxStateRecordBytes</c> encoded (beyond <c>Experiment:MaxSessionEvents</c> events it is refused
    /// before): the log is one record, and one the changelog's producer refuses stops the group at this event after
    /// every restart. The session's outcome so far stays as it is; a session that large is a client reporting under
    /// one id, not a shopper. Exact in bytes only when the cheap bound says the log may be too large.
    /// </summary>
    private bool FitsTheLog(SessionLog grown, SessionEvent e)
    {
        if (grown.EncodedBytesAtMost() <= MaxStateBytes) return true;
        var bytes = OutcomesTopology.SessionLogCodec.Encode(grown).Length;
        if (bytes <= MaxStateBytes) return true;
        DeadLetter(OutcomesTopology.SessionTooLarge,
            $"session '{e.SessionId}': its log would take {bytes} bytes with the {e.Kind}{ReadFrom(e)}, more than Streams:MaxStateRecordBytes ({MaxStateBytes}): the {e.Kind} is not counted");
        return false;
    }

    /// <summary>Where the splitter read the event, for a dead letter's reason (its coordinates are the repartition copy's).</summary>
    private static string ReadFrom(SessionEvent e) => e.Origin is { } origin ? $" (read from {origin})" : "";

    private void Tick()
    {
        if (!StoresRestored) return;
        var sessions = Sessions();
        // Quiet partitions: stream time follows the wall clock, so their sessions close too.
        var now = Clock.GetUtcNow().UtcTicks;
        if (now - DateTimeOffset.MinValue.UtcTicks > experiment.StreamTimeLag.Ticks)
        {
            var target = new DateTimeOffset(now - experiment.StreamTimeLag.Ticks, TimeSpan.Zero);
            if (sessions.StreamTime is null || target > sessions.StreamTime)
            {
                Send(sessions.AdvanceTo(target));
                _clocks.Put(SessionClock.Key, new SessionClock { StreamTime = sessions.StreamTime });
            }
        }
        ForgetExpiredLogs(sessions);
    }

    /// <summary>
    /// Deletes the logs of sessions the processor has forgotten, but only with the stream time of two commits ago:
    /// what the session sent before then was flushed by the last commit, so a crash cannot lose an outcome whose log
    /// is gone.
    /// </summary>
    private void ForgetExpiredLogs(SessionOutcomeProcessor sessions)
    {
        if (sessions.StreamTime is not { } streamTime) return;
        _observed.Enqueue((_commits.Commits, streamTime.UtcTicks));
        long? safe = null;
        while (_observed.TryPeek(out var seen) && seen.Commits + 2 <= _commits.Commits)
            safe = _observed.Dequeue().StreamTicks;
        if (safe is not { } safeTicks) return;
        while (_expiries.TryPeek(out var sessionId, out var expiry) && expiry <= safeTicks)
        {
            _expiries.Dequeue();
            if (_logs.Get(sessionId) is { } log && log.LastEventTime.UtcTicks + _horizonTicks <= safeTicks) _logs.Delete(sessionId);
        }
    }

    private void Send(IReadOnlyList<SessionOutcomeChange> changes)
    {
        foreach (var change in changes)
        {
            var outcome = change.Current ?? change.Previous!;
            var upsert = new OutcomeUpsert(outcome.ExperimentId, change.SessionKey, change.Current);
            Send(output, outcome.ExperimentId, OutcomesTopology.UpsertCodec.Encode(upsert), outcome.WindowEnd);
        }
    }

    /// <summary>
    /// The windows as of the restored stores, built on first use: every log replayed in input order (with the stream
    /// time each event met), then the stored stream time; the last change of every session the replay touched is sent
    /// again.
    /// </summary>
    private SessionOutcomeProcessor Sessions()
    {
        if (_sessions is not null) return _sessions;
        _sessions = Rebuild(out var resend);
        Send(resend);
        return _sessions;
    }

    private SessionOutcomeProcessor Rebuild(out List<SessionOutcomeChange> resend)
    {
        var sessions = new SessionOutcomeProcessor(experiment.Config, _windows);
        var logged = new List<LoggedSessionEvent>();
        StateStores.ForEach(_logs, (sessionId, log) =>
        {
            logged.AddRange(log.Events);
            _expiries.Enqueue(sessionId, log.LastEventTime.UtcTicks + _horizonTicks);
        });
        var last = new Dictionary<string, SessionOutcomeChange>(StringComparer.Ordinal);
        void Keep(IReadOnlyList<SessionOutcomeChange> changes)
        {
            foreach (var change in changes) last[change.SessionKey] = change;
        }
        foreach (var e in logged.OrderBy(e => e.Offset))
        {
            if (e.StreamTimeBefore is { } before) Keep(sessions.AdvanceTo(before));
            Keep(sessions.Process(e.Event.ToExperimentEvent()).Changes);
        }
        if (_clocks.Get(SessionClock.Key)?.StreamTime is { } streamTime) Keep(sessions.AdvanceTo(streamTime));
        resend = last.Values.ToList();
        return sessions;
    }
}
