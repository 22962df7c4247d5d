using System.Text;
using CartCrossSell.Contracts;
using CartCrossSell.Engine.Merchandising;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Streams.Testing;
using CartCrossSell.Topologies.Merchandising;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Topologies.Tests;

/// <summary>The recommender reads the current rule set at every event; bad rule records become dead letters, tombstones do not.</summary>
public sealed class MerchandisingTopologyTests : IDisposable
{
    private static readonly StreamsOptions Streams = new() { StateStore = StateStoreKind.InMemory };
    private readonly CapturingSink _sink = new();
    private readonly SwitchableRules _rules = new();
    private readonly GroupTestDriver _driver;

    public MerchandisingTopologyTests() =>
        _driver = new GroupTestDriver(CartRecommenderTopology.Build(Streams, new RecommenderOptions(), Store.Catalog(), Store.Learned(), _sink, rules: _rules), Streams);

    public void Dispose() => _driver.Dispose();

    private sealed class SwitchableRules : IMerchandisingRules
    {
        public MerchandisingRuleSet Current { get; set; } = MerchandisingRuleSet.None;
    }

    [Fact]
    public void A_rule_set_change_shows_at_the_next_event_with_the_rules_that_changed_the_list()
    {
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m), ContractCodecs.CartEvent);
        var before = _sink.Latest("c1");
        Assert.NotEmpty(before.AddOns);
        Assert.Empty(before.AppliedRules);
        var first = before.AddOns[0].Sku;

        _rules.Current = new MerchandisingRuleSet([new MerchandisingRule { Id = "hide-first", Kind = RuleKind.Block, Skus = new HashSet<string> { first } }]);
        _driver.Pipe(Topics.CartEvents, "c1", Store.Added("c1", "running-shoes", 1, 120m) with { Type = CartEventType.CartViewed, Sku = null, Quantity = null, UnitPrice = null }, ContractCodecs.CartEvent);

        var after = _sink.Latest("c1");
        Assert.DoesNotContain(after.AddOns, a => a.Sku == first);
        Assert.Equal(["hide-first"], after.AppliedRules);
    }

    [Fact]
    public void A_rule_record_that_does_not_parse_validate_or_match_its_key_is_dead_lettered_and_a_tombstone_is_not()
    {
        var valid = new MerchandisingRuleRecord { Id = "ok", Kind = MerchandisingRuleKind.Block, Skus = ["socks"] };
        _driver.Pipe(Topics.MerchandisingRules, "ok", valid, ContractCodecs.MerchandisingRule);
        _driver.PipeRaw(Topics.MerchandisingRules, "ok", null);
        _driver.PipeRaw(Topics.MerchandisingRules, "broken", Encoding.UTF8.GetBytes("{\"id\":"));
        _driver.PipeRaw(Topics.MerchandisingRules, "weak", Encoding.UTF8.GetBytes("""{"schemaVersion":1,"id":"weak","kind":"boost","skus":["a"],"factor":0.5}"""));
        _driver.Pipe(Topics.MerchandisingRules, "elsewhere", valid, ContractCodecs.MerchandisingRule);

        var letters = _driver.DeadLetters;
        Assert.Equal(3, letters.Count);
        Assert.All(letters, d => Assert.Equal(Topics.MerchandisingRules, d.SourceTopic));
        Assert.Equal(DeadLetterKinds.Unparseable, letters.Single(d => d.Key == "broken").Kind);
        Assert.Contains("factor of a boost", letters.Single(d => d.Key == "weak").Reason);
        Assert.Contains("key 'elsewhere' is not the rule's id 'ok'", letters.Single(d => d.Key == "elsewhere").Reason);
    }
}
