using System.Collections.Concurrent;
using CartCrossSell.Contracts;
using CartCrossSell.Engine.Merchandising;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Topologies.Merchandising;

/// <summary>
/// The merchandising rules a recommender applies: the whole current set, read on every cart event. Behind this
/// interface so the table can move to a Streamiz global store with the catalog and the learned rows.
/// </summary>
public interface IMerchandisingRules
{
    MerchandisingRuleSet Current { get; }
}

/// <summary>A fixed rule set (tests, offline use, an instance without the table).</summary>
public sealed class FixedMerchandisingRules(MerchandisingRuleSet rules) : IMerchandisingRules
{
    public static readonly FixedMerchandisingRules None = new(MerchandisingRuleSet.None);

    public MerchandisingRuleSet Current => rules;
}

/// <summary>
/// The compacted <c>merchandising-rules</c> topic (key = rule id, tombstone deletes) as a table replicated on every
/// recommender instance: every change rebuilds an immutable <see cref="MerchandisingRuleSet"/> that the next cart event reads,
/// without a restart. A record that does not decode or validate, or whose key is not its id, leaves the key's
/// previous rule in place; the recommender group dead-letters it once (<see cref="MerchandisingRuleValidator"/>).
/// Unlike the catalog and the learned rows this table is read by the project's own reader (<see cref="GlobalTable{T}"/>),
/// not as a Streamiz global store: Streamiz, like Kafka Streams, refuses one topic as both a global store and a stream
/// source in one topology, and the validator needs the topic as a stream source to dead-letter a bad record once.
/// </summary>
public sealed class MerchandisingRulesTable : IMerchandisingRules
{
    private readonly ConcurrentDictionary<string, MerchandisingRule> _rules = new(StringComparer.Ordinal);
    private readonly ILogger _log;
    private MerchandisingRuleSet _current = MerchandisingRuleSet.None;

    public MerchandisingRulesTable(KafkaOptions kafka, ILoggerFactory loggers)
    {
        _log = loggers.CreateLogger<MerchandisingRulesTable>();
        Table = new GlobalTable<MerchandisingRuleRecord>(Topics.MerchandisingRules, ContractCodecs.MerchandisingRule, kafka, loggers);
        Table.Changed += OnChanged;
    }

    public GlobalTable<MerchandisingRuleRecord> Table { get; }

    public MerchandisingRuleSet Current => Volatile.Read(ref _current);

    private void OnChanged(string key, MerchandisingRuleRecord? previous, MerchandisingRuleRecord? current)
    {
        if (current is null)
        {
            _rules.TryRemove(key, out _);
        }
        else
        {
            if (current.Id != key)
            {
                _log.LogWarning("merchandising rule under key {Key} names id {Id}: ignored, the key's previous rule stays", key, current.Id);
                return;
            }
            MerchandisingRule rule;
            try
            {
                rule = current.ToEngineRule();
                rule.EnsureApplicable(); // what the rule set checks of every rule: refused here, it cannot fail the set below
            }
            catch (ArgumentException e)
            {
                // The contract's validation refuses what the engine cannot apply; should one slip through, the key's
                // previous rule stays (as for every refused record) and the table keeps reading.
                _log.LogWarning(e, "merchandising rule {Key}: ignored, the key's previous rule stays", key);
                return;
            }
            _rules[key] = rule;
        }
        // Rebuilt from the dictionary only after it changed completely: the set a cart reads is never half of a change.
        Volatile.Write(ref _current, new MerchandisingRuleSet(_rules.Values));
    }
}
