using System.Text;
using System.Text.Json;
using CartCrossSell.Cli;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.TestInfrastructure;
using CartCrossSell.Topologies.Hosting;
using Xunit.Abstractions;

namespace CartCrossSell.IntegrationTests;

/// <summary>
/// Merchandising rules in the stream, on the embedded broker with a real redis-server: a rule written by
/// <c>cartxsell rules apply</c> changes the next value of a live cart without a restart, <c>cartxsell rules delete</c>
/// restores the list, and rule records the table must ignore are dead-lettered while the rest keep working.
/// </summary>
public sealed class MerchandisingRulesEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly KafkaFixture _kafka = new();
    private readonly RedisFixture _redis = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("cartxsell-rules-e2e-").FullName;

    [Fact]
    public async Task A_rule_applied_with_rules_apply_changes_the_next_value_of_a_live_cart_and_its_deletion_restores_the_list()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        using var publisher = new EventPublisher(_kafka.Options);
        var storefront = new StorefrontCarts(publisher);
        // A tent bought with a stove (8 orders), a lamp (6), a mat (5) and a chair (4); every add-on in the price band.
        Product(publisher, "tent", ["outdoor", "shelter", "tents"], 100m, "Dome tent");
        foreach (var (sku, leaf) in new[] { ("stove", "stoves"), ("lamp", "lamps"), ("mat", "mats"), ("chair", "chairs") })
            Product(publisher, sku, ["outdoor", leaf], 20m, $"Camping {sku}");
        var now = DateTimeOffset.UtcNow;
        var orderNumber = 0;
        foreach (var (partner, times) in new[] { ("stove", 8), ("lamp", 6), ("mat", 5), ("chair", 4) })
            for (var i = 0; i < times; i++)
            {
                orderNumber++;
                storefront.PlaceOrder(new OrderCompleted
                {
                    EventId = $"e-{orderNumber}", OrderId = $"o-{orderNumber}", Timestamp = now.AddMinutes(-orderNumber),
                    Lines = [new OrderLine { Sku = "tent", Quantity = 1, UnitPrice = 100m }, new OrderLine { Sku = partner, Quantity = 1, UnitPrice = 20m }],
                });
            }
        await publisher.FlushAsync(ct);

        using var loggers = TestLogging.Create(output.WriteLine, Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var service = new CrossSellService(new CrossSellServiceOptions
        {
            Kafka = _kafka.Options,
            Redis = new() { Configuration = _redis.Server.Configuration },
        }, loggers);
        await service.StartAsync(ct);
        await DemoRunner.WaitForLearningAsync(service, ct);

        storefront.AddItem("camp-1", "s-1", "tent", null, 1, 100m);
        var before = await View(service, storefront, ct);
        Assert.Equal(["stove", "lamp", "mat"], before.AddOns.Select(a => a.Sku));
        Assert.Empty(before.AppliedRules);

        // Two rule records the table must ignore: not JSON, and a rule filed under another key than its id.
        publisher.Publish(Topics.MerchandisingRules, "broken", Encoding.UTF8.GetBytes("{\"id\": oops"));
        publisher.Publish(Topics.MerchandisingRules, "mismatch", ContractCodecs.MerchandisingRule.Encode(
            new MerchandisingRuleRecord { Id = "other", Kind = MerchandisingRuleKind.Block, Skus = ["lamp"] }));
        await publisher.FlushAsync(ct);

        var rules = Path.Combine(_dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, "- id: no-stove\n  kind: block\n  skus: [stove]\n", ct);
        Assert.Equal(0, await Cli("rules", "apply", rules));
        await Until(() => service.Rules.Current.Rules.Any(r => r.Id == "no-stove"), ct);

        var blocked = await View(service, storefront, ct);
        Assert.True(blocked.Version > before.Version);
        Assert.Equal(["lamp", "mat", "chair"], blocked.AddOns.Select(a => a.Sku));
        Assert.Equal(["no-stove"], blocked.AppliedRules);
        Assert.Equal(["no-stove"], JsonNode(await _redis.Connection.GetDatabase().StringGetAsync(service.Store!.KeyOf("camp-1"))));

        Assert.Equal(0, await Cli("rules", "delete", "no-stove"));
        await Until(() => service.Rules.Current.Count == 0, ct);

        var restored = await View(service, storefront, ct);
        Assert.Equal(["stove", "lamp", "mat"], restored.AddOns.Select(a => a.Sku));
        Assert.Empty(restored.AppliedRules);

        var deadLetters = TopicProbe.ReadAll(_kafka.Options, Topics.DeadLetters, 2, TimeSpan.FromSeconds(20))
            .Select(r => JsonSerializer.Deserialize(r.Message.Value, ContractsJson.Default.DeadLetter)!)
            .Where(d => d.SourceTopic == Topics.MerchandisingRules)
            .ToList();
        Assert.Equal(2, deadLetters.Count);
        Assert.Equal(DeadLetterKinds.Unparseable, deadLetters.Single(d => d.Key == "broken").Kind);
        var mismatch = deadLetters.Single(d => d.Key == "mismatch");
        Assert.Equal(DeadLetterKinds.Invalid, mismatch.Kind);
        Assert.Contains("is not the rule's id 'other'", mismatch.Reason);
        Assert.True(mismatch.SourceOffset >= 0);
    }

    private async Task<int> Cli(params string[] args)
    {
        var error = new StringWriter();
        var code = await CliApplication.RunAsync([.. args, "-b", _kafka.Options.BootstrapServers], new StringWriter(), error);
        output.WriteLine(error.ToString());
        return code;
    }

    private static async Task<CartRecommendation> View(CrossSellService service, StorefrontCarts storefront, CancellationToken ct)
    {
        var viewed = storefront.View("camp-1", "s-1");
        await storefront.FlushAsync(ct);
        return await DemoRunner.WaitForRecommendationAsync(service, "camp-1", viewed.Timestamp, ct);
    }

    private static async Task Until(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(20, ct);
    }

    private static IEnumerable<string> JsonNode(StackExchange.Redis.RedisValue value) =>
        System.Text.Json.Nodes.JsonNode.Parse(value.ToString())!["appliedRules"]!.AsArray().Select(n => n!.GetValue<string>());

    private static void Product(EventPublisher publisher, string sku, string[] path, decimal price, string title) =>
        publisher.Publish(Topics.Catalog, sku, ContractCodecs.ProductUpserted.Encode(new ProductUpserted { Sku = sku, Title = title, CategoryPath = path, Price = price }));

    public void Dispose()
    {
        _redis.Dispose();
        _kafka.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
