using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// The holdout measurement (docs/experiments.md), four topologies joined by two explicit repartitions:
/// <list type="number">
/// <item><b>session-cart-splitter</b> and <b>session-order-splitter</b> re-key cart views (<c>cart-events</c>, keyed by
/// cart) and completed orders with a session id (<c>order-events</c>, keyed by order) by session id into
/// <c>{app}-session-events-repartition</c>, so everything about one session meets in one partition. Orders without a
/// session id (backfill, offline orders) are not part of the experiment and are skipped.</item>
/// <item><b>session-outcomes</b> runs a <see cref="SessionOutcomeProcessor"/> per partition: the session windows are
/// kept in changelogged stores (the accepted events per session, the stream time) and rebuilt from them after a
/// restart; changes go through a changelogged outbox, numbered, to <c>{app}-session-outcomes-repartition</c> keyed by
/// experiment id. Stream time also moves to wall clock minus <see cref="ExperimentOptions.StreamTimeLag"/> at each
/// commit, so quiet partitions still close their sessions.</item>
/// <item><b>aov-aggregator</b> adds each change once (per source partition and sequence) to exact cohort sums per
/// window (store <c>aov-windows</c>) and publishes every touched window, once per commit, to <c>aov-aggregates</c>.</item>
/// </list>
/// </summary>
public static class SessionOutcomeTopologies
{
    /// <summary>Dead-letter kind of an event too late for its session window (beyond gap + grace).</summary>
    public const string LateEvent = "late-event";
    /// <summary>Dead-letter kind of an outcome change the sums cannot take (a retraction of what was never added, a second holdout share).</summary>
    public const string InconsistentOutcome = "inconsistent-outcome";

    internal static readonly JsonContractCodec<SessionEvent> SessionEventCodec = new(OutcomesJson.Default.SessionEvent, SessionEvent.Validate);
    internal static readonly JsonContractCodec<OutcomeChangeMessage> ChangeCodec = new(OutcomesJson.Default.OutcomeChangeMessage);
    public static readonly JsonContractCodec<AovAggregateRecord> AggregateCodec = new(ContractsJson.Default.AovAggregateRecord);

    public static Topology<CartEvent> CartSplitter(StreamsOptions streams)
    {
        var repartition = TopicNames.Repartition(streams.ApplicationId, TopologyNames.SessionEventsRepartition);
        return new TopologyBuilder<CartEvent>(TopologyNames.SessionCartSplitter, Topics.CartEvents, ContractCodecs.CartEvent)
            .WithOutput(repartition)
            .WithProcessor(_ => new CartViewSplitter(repartition))
            .Build();
    }

    public static Topology<OrderCompleted> OrderSplitter(StreamsOptions streams)
    {
        var repartition = TopicNames.Repartition(streams.ApplicationId, TopologyNames.SessionEventsRepartition);
        return new TopologyBuilder<OrderCompleted>(TopologyNames.SessionOrderSplitter, Topics.OrderEvents, ContractCodecs.OrderCompleted)
            .WithOutput(repartition)
            .WithProcessor(_ => new OrderSplitterProcessor(repartition))
            .Build();
    }

    public static Topology<SessionEvent> SessionOutcomes(StreamsOptions streams, ExperimentOptions experiment)
    {
        experiment.Validate();
        var config = experiment.Config;
        var windows = experiment.Windows;
        var input = TopicNames.Repartition(streams.ApplicationId, TopologyNames.SessionEventsRepartition);
        var output = TopicNames.Repartition(streams.ApplicationId, TopologyNames.SessionOutcomesRepartition);
        return new TopologyBuilder<SessionEvent>(TopologyNames.SessionOutcomes, input, SessionEventCodec)
            .WithStore(StoreSpec.KeyValue(TopologyNames.SessionWindowsStore, new JsonContractCodec<SessionLog>(OutcomesJson.Default.SessionLog)))
            .WithStore(StoreSpec.KeyValue(TopologyNames.SessionOutboxStore, new JsonContractCodec<OutboxEntry>(OutcomesJson.Default.OutboxEntry)))
            .WithStore(StoreSpec.KeyValue(TopologyNames.SessionClockStore, new JsonContractCodec<SessionClock>(OutcomesJson.Default.SessionClock)))
            .WithOutput(output)
            .WithProcessor(_ => new SessionWindowsProcessor(config, windows, experiment.StreamTimeLag, output))
            .Build();
    }

    public static Topology<OutcomeChangeMessage> Aggregator(StreamsOptions streams, AovAggregatorOptions? options = null)
    {
        options ??= new AovAggregatorOptions();
        var input = TopicNames.Repartition(streams.ApplicationId, TopologyNames.SessionOutcomesRepartition);
        return new TopologyBuilder<OutcomeChangeMessage>(TopologyNames.AovAggregator, input, ChangeCodec)
            .WithStore(StoreSpec.KeyValue(TopologyNames.AovWindowsStore, new JsonContractCodec<AovWindowState>(OutcomesJson.Default.AovWindowState)))
            .WithStore(StoreSpec.KeyValue(TopologyNames.AovProgressStore, new JsonContractCodec<AovProgress>(OutcomesJson.Default.AovProgress)))
            .WithOutput(Topics.AovAggregates)
            .WithProcessor(_ => new WindowAggregator(options))
            .Build();
    }

    /// <summary>Cart views, re-keyed by session: the exposure trigger of both cohorts. Other cart events are not needed here.</summary>
    private sealed class CartViewSplitter(string repartition) : IProcessor<CartEvent>
    {
        private IProcessorContext _context = null!;

        public void Init(IProcessorContext context) => _context = context;

        public void Process(InputRecord<CartEvent> record)
        {
            var e = record.Value;
            if (e.Type != CartEventType.CartViewed) return;
            var value = new SessionEvent
            {
                Kind = SessionEvent.CartViewed, SessionId = e.SessionId, VisitorId = e.VisitorId, CartId = e.CartId, Timestamp = e.Timestamp,
            };
            _context.Send(repartition, e.SessionId, SessionEventCodec.Encode(value), e.Timestamp);
        }
    }

    /// <summary>Completed orders of a session, re-keyed by session; lines from the widget keep their source (accepted cross-sells).</summary>
    private sealed class OrderSplitterProcessor(string repartition) : IProcessor<OrderCompleted>
    {
        private IProcessorContext _context = null!;

        public void Init(IProcessorContext context) => _context = context;

        public void Process(InputRecord<OrderCompleted> record)
        {
            var o = record.Value;
            if (string.IsNullOrWhiteSpace(o.SessionId)) return; // not a storefront session: outside the experiment
            var value = new SessionEvent
            {
                Kind = SessionEvent.OrderCompleted, SessionId = o.SessionId, VisitorId = o.VisitorId, CartId = o.CartId, OrderId = o.OrderId,
                Timestamp = o.Timestamp,
                Lines = o.Lines.Select(l => new SessionEventLine(l.Sku, l.Quantity, l.UnitPrice, l.Source)).ToArray(),
            };
            _context.Send(repartition, o.SessionId, SessionEventCodec.Encode(value), o.Timestamp);
        }
    }

    /// <summary>
    /// Session windows of one partition. The <see cref="SessionOutcomeProcessor"/> lives in memory and is rebuilt,
    /// before the first record or flush, by replaying the logged events; changes leave through the outbox.
    /// </summary>
    private sealed class SessionWindowsProcessor(ExperimentConfig config, SessionWindowOptions windows, TimeSpan streamTimeLag, string output)
        : IProcessor<SessionEvent>
    {
        private readonly PriorityQueue<string, long> _expiries = new();
        private readonly long _horizonTicks = 2 * windows.InactivityGap.Ticks + windows.Grace.Ticks;
        private IProcessorContext _context = null!;
        private IKeyValueStore<SessionLog> _logs = null!;
        private IKeyValueStore<OutboxEntry> _outbox = null!;
        private IKeyValueStore<SessionClock> _clocks = null!;
        private SessionOutcomeProcessor? _sessions;
        private SessionClock _clock = new();
        private long _persistedThrough = -1;

        public void Init(IProcessorContext context)
        {
            _context = context;
            _logs = context.GetStore<SessionLog>(TopologyNames.SessionWindowsStore);
            _outbox = context.GetStore<OutboxEntry>(TopologyNames.SessionOutboxStore);
            _clocks = context.GetStore<SessionClock>(TopologyNames.SessionClockStore);
        }

        public void Process(InputRecord<SessionEvent> record)
        {
            var sessions = Sessions();
            var e = record.Value;
            var before = sessions.StreamTime;
            var result = sessions.Process(e.ToExperimentEvent());
            if (result.Disposition == EventDisposition.Accepted)
            {
                var log = _logs.Get(e.SessionId) ?? new SessionLog { SessionId = e.SessionId, Events = [] };
                log.Events.Add(new LoggedSessionEvent(_clock.NextArrival, before, e));
                _logs.Put(e.SessionId, log);
                _expiries.Enqueue(e.SessionId, log.LastEventTime.UtcTicks + _horizonTicks);
                _clock = _clock with { NextArrival = _clock.NextArrival + 1 };
            }
            Append(result.Changes);
            SaveClock();
            if (result.Disposition == EventDisposition.DroppedLate)
                _context.DeadLetter(LateEvent,
                    $"session '{e.SessionId}': a {e.Kind} at {e.Timestamp:O} is too late for its session window (stream time {before:O}, inactivity gap {windows.InactivityGap}, grace {windows.Grace})");
        }

        public void Flush()
        {
            // The stores ignore writes while the last record seen is one they already reflect (a replay right after a
            // restore); whatever this flush would write then waits for the next new record.
            if (_outbox is ChangeloggedStoreBase store && _context.Current.Offset <= store.RestoredThrough) return;
            var sessions = Sessions();
            // 1. What the previous commit logged is in the changelog now: send it (a replay resends the same numbers).
            var due = _outbox.All().Where(kv => kv.Value.Sequence <= _persistedThrough).OrderBy(kv => kv.Value.Sequence).ToArray();
            foreach (var (key, entry) in due)
            {
                var outcome = entry.Change.Current ?? entry.Change.Previous!;
                _context.Send(output, outcome.ExperimentId, ChangeCodec.Encode(new OutcomeChangeMessage(_context.Partition, entry.Sequence, entry.Change)),
                    outcome.WindowEnd);
                _outbox.Delete(key);
            }

            // 2. Quiet partitions: move stream time with the wall clock, so their sessions close too.
            var now = _context.Clock.GetUtcNow().UtcTicks;
            if (now - DateTimeOffset.MinValue.UtcTicks > streamTimeLag.Ticks)
            {
                var target = new DateTimeOffset(now - streamTimeLag.Ticks, TimeSpan.Zero);
                if (sessions.StreamTime is null || target > sessions.StreamTime)
                {
                    Append(sessions.AdvanceTo(target));
                    SaveClock();
                }
            }

            // 3. Forget the logs of sessions the processor has forgotten.
            if (sessions.StreamTime is { } st)
            {
                while (_expiries.TryPeek(out var sessionId, out var expiry) && expiry <= st.UtcTicks)
                {
                    _expiries.Dequeue();
                    if (_logs.Get(sessionId) is { } log && log.LastEventTime.UtcTicks + _horizonTicks <= st.UtcTicks) _logs.Delete(sessionId);
                }
            }

            // 4. Everything in the outbox now is written to the changelog by this commit.
            _persistedThrough = _clock.NextSequence - 1;
        }

        private void Append(IReadOnlyList<SessionOutcomeChange> changes)
        {
            if (changes.Count == 0) return;
            var next = _clock.NextSequence;
            foreach (var change in changes)
            {
                _outbox.Put(next.ToString("D19", System.Globalization.CultureInfo.InvariantCulture), new OutboxEntry(next, change));
                next++;
            }
            _clock = _clock with { NextSequence = next };
        }

        private void SaveClock()
        {
            _clock = _clock with { StreamTime = _sessions!.StreamTime };
            _clocks.Put(SessionClock.Key, _clock);
        }

        /// <summary>The session windows, rebuilt from the stores on first use (after a restore they hold the state of the last commit).</summary>
        private SessionOutcomeProcessor Sessions()
        {
            if (_sessions is not null) return _sessions;
            var sessions = new SessionOutcomeProcessor(config, windows);
            _clock = _clocks.Get(SessionClock.Key) ?? new SessionClock();
            // Replaying the logs emits again what was emitted before the restart: those changes are in the outbox or sent.
            foreach (var logged in _logs.All().SelectMany(kv => kv.Value.Events).OrderBy(e => e.Arrival))
            {
                if (logged.StreamTimeBefore is { } before) sessions.AdvanceTo(before);
                sessions.Process(logged.Event.ToExperimentEvent());
            }
            if (_clock.StreamTime is { } streamTime) sessions.AdvanceTo(streamTime);
            foreach (var (sessionId, log) in _logs.All()) _expiries.Enqueue(sessionId, log.LastEventTime.UtcTicks + _horizonTicks);
            _persistedThrough = _clock.NextSequence - 1;
            return _sessions = sessions;
        }
    }

    /// <summary>
    /// Exact cohort sums per window. A change is applied once: its (source partition, sequence) must be above what
    /// was applied from that partition. Each touched window is published once per commit.
    /// </summary>
    private sealed class WindowAggregator(AovAggregatorOptions options) : IProcessor<OutcomeChangeMessage>
    {
        private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
        private IProcessorContext _context = null!;
        private IKeyValueStore<AovWindowState> _windows = null!;
        private IKeyValueStore<AovProgress> _progress = null!;

        public void Init(IProcessorContext context)
        {
            _context = context;
            _windows = context.GetStore<AovWindowState>(TopologyNames.AovWindowsStore);
            _progress = context.GetStore<AovProgress>(TopologyNames.AovProgressStore);
        }

        public void Process(InputRecord<OutcomeChangeMessage> record)
        {
            var message = record.Value;
            var progressKey = message.SourcePartition.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (message.Sequence <= (_progress.Get(progressKey)?.AppliedThrough ?? -1)) return; // resent after a crash: applied already

            // Compute every touched window first, so a change that cannot apply changes nothing.
            var updated = new Dictionary<string, AovWindowState>(StringComparer.Ordinal);
            if (message.Change.Previous is { } previous && !TryUpdate(previous, retract: true, updated)) return;
            if (message.Change.Current is { } current && !TryUpdate(current, retract: false, updated)) return;
            foreach (var (key, state) in updated)
            {
                _windows.Put(key, state);
                _touched.Add(key);
            }
            _progress.Put(progressKey, new AovProgress(message.SourcePartition, message.Sequence));
        }

        public void Flush()
        {
            if (_touched.Count == 0) return;
            var now = _context.Clock.GetUtcNow();
            foreach (var key in _touched.Order(StringComparer.Ordinal))
            {
                if (_windows.Get(key) is not { } state) continue;
                var aggregate = AovAggregator.Build(state.Key, state.Treatment, state.Holdout, state.HoldoutShare, state.FirstExposure, options, now);
                _context.Send(Topics.AovAggregates, key, AggregateCodec.Encode(AovAggregateMapping.ToContract(aggregate)), now);
            }
            _touched.Clear();
        }

        private bool TryUpdate(SessionOutcome outcome, bool retract, Dictionary<string, AovWindowState> updated)
        {
            var contribution = CohortSums.Of(outcome);
            foreach (var aggregateKey in AggregateKey.For(outcome))
            {
                var key = AovAggregateMapping.KeyOf(aggregateKey);
                var state = updated.GetValueOrDefault(key) ?? _windows.Get(key);
                if (state is null)
                {
                    if (retract) return Reject($"session {outcome.SessionKey} is retracted from window {key}, which holds nothing");
                    state = new AovWindowState
                    {
                        ExperimentId = aggregateKey.ExperimentId, Salt = aggregateKey.Salt, Window = aggregateKey.Window,
                        WindowStart = aggregateKey.WindowStart, HoldoutShare = outcome.HoldoutShare, Treatment = default, Holdout = default,
                    };
                }
                else if (state.HoldoutShare != outcome.HoldoutShare)
                {
                    return Reject($"session {outcome.SessionKey} carries holdout share {outcome.HoldoutShare} but window {key} runs at {state.HoldoutShare}");
                }

                var holdout = outcome.Cohort == Cohort.Holdout;
                var sums = holdout ? state.Holdout : state.Treatment;
                sums = retract ? sums - contribution : sums + contribution;
                if (sums.IsInconsistent) return Reject($"retracting session {outcome.SessionKey} takes the sums of window {key} below zero");
                state = holdout ? state with { Holdout = sums } : state with { Treatment = sums };
                // Revisions only move an exposure earlier, so the minimum over what was added is the minimum over the final outcomes.
                if (!retract && (state.FirstExposure is null || outcome.ExposedAt < state.FirstExposure))
                    state = state with { FirstExposure = outcome.ExposedAt };
                updated[key] = state;
            }
            return true;
        }

        private bool Reject(string reason)
        {
            _context.DeadLetter(InconsistentOutcome, reason);
            return false;
        }
    }
}
