using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;

namespace CartCrossSell.Topologies.Merchandising;

/// <summary>
/// Reads <c>merchandising-rules</c> in the recommender's consumer group (so once per record, however many instances
/// run) and dead-letters what the replicated table ignores: a value that does not parse or validate, or whose id is
/// not its key. Valid rules and tombstones pass silently; the table applies them.
/// </summary>
internal sealed class MerchandisingRuleValidator(ProcessorRuntime runtime)
    : RecordProcessor<MerchandisingRuleRecord>(runtime, ContractCodecs.MerchandisingRule)
{
    protected override bool AcceptsTombstones => true;

    protected override void Process(InputRecord<MerchandisingRuleRecord> record)
    {
        if (record.Key != record.Value.Id)
            DeadLetter(DeadLetterKinds.Invalid, $"key '{record.Key}' is not the rule's id '{record.Value.Id}'");
    }
}
