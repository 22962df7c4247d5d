using CartCrossSell.Contracts;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Topologies.Outcomes;

/// <summary>
/// Exact cohort sums per window, from the session outcomes as a table. The store <c>aov-sessions</c> holds the current
/// outcome of every session (key: experiment id and session key); an upsert replaces it, so the sums subtract what the
/// store held and add what arrived: a record sent twice, or an older one followed by a newer one, counts once. The sums
/// themselves live in memory (<see cref="AovAggregator"/>) and are derived again from the store once it is restored,
/// after every start, which then republishes every window: whatever was applied before a crash but not published is published.
/// Touched windows are published once per commit interval.
/// </summary>
/// <param name="visitorRetention">
/// How long after the newest exposure an hour or day window keeps its per-visitor table (<see cref="AovAggregator.ForgetVisitorsOfWindowsEndingBefore"/>):
/// the windows a revision may still reach keep theirs, older ones keep only their visitor sums.
/// </param>
internal sealed class AovWindowsProcessor(ProcessorRuntime runtime, AovAggregatorOptions options, TimeSpan publishEvery, TimeSpan visitorRetention)
    : RecordProcessor<OutcomeUpsert>(runtime, OutcomesTopology.UpsertCodec)
{
    private readonly HashSet<AggregateKey> _touched = [];
    private AovAggregator? _sums;
    private DateTimeOffset? _newestExposure;
    private IKeyValueStore<string, SessionOutcome> _outcomes = null!;

    protected override void Init()
    {
        _outcomes = Store<IKeyValueStore<string, SessionOutcome>>(TopologyNames.AovSessionsStore);
        _sums = null; // derived once the store is restored (Streamiz restores after Init)
        _touched.Clear();
        Context.Schedule(publishEvery, PunctuationType.PROCESSING_TIME, _ => Publish());
    }

    /// <summary>The sums of every stored outcome, derived on first use; every window is then published again.</summary>
    private AovAggregator Sums()
    {
        if (_sums is not null) return _sums;
        var sums = new AovAggregator(options);
        _newestExposure = null;
        StateStores.ForEach(_outcomes, (_, outcome) =>
        {
            sums.AddRestored(outcome, _touched);
            Saw(outcome);
        });
        return _sums = sums;
    }

    protected override void Process(InputRecord<OutcomeUpsert> record)
    {
        var sums = Sums();
        var upsert = record.Value;
        var key = upsert.ExperimentId + "/" + upsert.SessionKey;
        var previous = _outcomes.Get(key);
        var current = upsert.Outcome;
        if (previous == current) return; // sent again after a crash, or never counted and gone again
        if (current is not null && sums.Conflict(current) is { } reason)
        {
            DeadLetter(OutcomesTopology.InconsistentOutcome, reason);
            return;
        }
        var change = (previous, current) switch
        {
            (null, { } added) => SessionOutcomeChange.Closed(added),
            ({ } old, null) => SessionOutcomeChange.Retracted(old),
            _ => SessionOutcomeChange.Revised(previous!, current!),
        };
        // The table first: if it cannot be written, the sums have not moved either.
        if (current is null) _outcomes.Delete(key);
        else _outcomes.Put(key, current);
        try
        {
            sums.Accumulate(change, _touched);
            if (current is not null) Saw(current);
        }
        catch
        {
            // Conflict refuses what the sums cannot take, so this is a defect; still, the record leaves state as it
            // was: the table gets its previous outcome back and the sums, perhaps moved in some windows, are derived
            // again from the table at the next use.
            if (previous is null) _outcomes.Delete(key);
            else _outcomes.Put(key, previous);
            _sums = null;
            throw;
        }
    }

    private void Saw(SessionOutcome outcome)
    {
        if (_newestExposure is null || outcome.ExposedAt > _newestExposure) _newestExposure = outcome.ExposedAt;
    }

    private void Publish()
    {
        if (!StoresRestored) return;
        var sums = Sums();
        // The visitor tables of windows no revision reaches any more go (their sums stay): what they cost is memory.
        if (_newestExposure is { } newest) sums.ForgetVisitorsOfWindowsEndingBefore(newest - visitorRetention);
        if (_touched.Count == 0) return;
        var now = Clock.GetUtcNow();
        foreach (var key in _touched)
        {
            if (!sums.TryGet(key, now, out var aggregate)) continue;
            var record = AovAggregateMapping.ToContract(aggregate!);
            Send(Topics.AovAggregates, AovAggregateMapping.KeyOf(key), OutcomesTopology.AggregateCodec.Encode(record), now);
        }
        _touched.Clear();
    }
}
