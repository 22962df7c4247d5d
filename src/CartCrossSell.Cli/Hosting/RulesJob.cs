using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Streams;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Cli.Hosting;

/// <summary>What <c>cartxsell rules apply</c> did: the rules it published, or the problems that stopped it before any write.</summary>
public sealed record RulesApplyReport(IReadOnlyList<MerchandisingRuleRecord> Published, IReadOnlyList<ReadProblem> Problems);

/// <summary>
/// The <c>cartxsell rules</c> commands on the compacted <c>merchandising-rules</c> topic (key = rule id): apply a
/// rules file (every rule validated before anything is written), list the current rules, delete one with a tombstone.
/// </summary>
public static class RulesJob
{
    /// <summary>
    /// Publishes every rule of a file read with <see cref="RuleFiles.Read"/> only when no rule has a problem: the
    /// caller validates before it connects, and what was validated is what is published (the file is read once).
    /// </summary>
    public static async Task<RulesApplyReport> ApplyAsync(EventPublisher publisher, ReadResult<MerchandisingRuleRecord> read, CancellationToken cancellationToken = default)
    {
        if (read.Problems.Count > 0) return new RulesApplyReport([], read.Problems);
        foreach (var rule in read.Items)
            publisher.Publish(Topics.MerchandisingRules, rule.Id, ContractCodecs.MerchandisingRule.Encode(rule), DateTimeOffset.UtcNow);
        await publisher.FlushAsync(cancellationToken);
        return new RulesApplyReport(read.Items, []);
    }

    /// <summary>The rules on the topic now: the latest valid record per id, deletions applied; and how many records were unreadable.</summary>
    public static async Task<(IReadOnlyList<MerchandisingRuleRecord> Rules, long Rejected)> ListAsync(KafkaOptions kafka, CancellationToken cancellationToken = default)
    {
        var table = new GlobalTable<MerchandisingRuleRecord>(Topics.MerchandisingRules, ContractCodecs.MerchandisingRule, kafka, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = table.RunAsync(stop.Token);
        try
        {
            await table.WaitUntilCaughtUpAsync(cancellationToken);
            return (table.Entries.Where(e => e.Key == e.Value.Id).Select(e => e.Value).OrderBy(r => r.Id, StringComparer.Ordinal).ToList(), table.Rejected);
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Deletes a rule (a tombstone under its id); false when no rule has that id.</summary>
    public static async Task<bool> DeleteAsync(EventPublisher publisher, KafkaOptions kafka, string id, CancellationToken cancellationToken = default)
    {
        var (rules, _) = await ListAsync(kafka, cancellationToken);
        if (!rules.Any(r => r.Id == id)) return false;
        publisher.Publish(Topics.MerchandisingRules, id, null, DateTimeOffset.UtcNow);
        await publisher.FlushAsync(cancellationToken);
        return true;
    }
}
