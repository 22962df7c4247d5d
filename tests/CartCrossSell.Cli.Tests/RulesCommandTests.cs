using CartCrossSell.Contracts;
using CartCrossSell.TestInfrastructure;

namespace CartCrossSell.Cli.Tests;

/// <summary>
/// <c>cartxsell rules apply | list | delete</c> on the embedded cluster: a bad file gives one clear error (file, line,
/// rule, field) and writes nothing, a good one is published whole, a deleted rule is gone.
/// </summary>
public sealed class RulesCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cartxsell-rules-" + Guid.NewGuid().ToString("N"));
    private readonly KafkaFixture _kafka = new();

    public RulesCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _kafka.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApplication.RunAsync([.. args, "-b", _kafka.Options.BootstrapServers], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private const string GoodRule = "  - id: lanterns-up\n    kind: boost\n    categories: [lantern]\n    factor: 1.5\n";

    public static TheoryData<string, string, int, string> BadFiles() => new()
    {
        // file name, content, line of the error, what the error says (besides file and line)
        { "syntax.yaml", "rules:\n" + GoodRule + "  - id: x\n    kind: [block\n", 8, "not valid YAML" },
        { "syntax.json", "[\n  {\"id\": \"x\", \"kind\": \"block\", \"skus\": [\"1\"]}\n  {\"id\": \"y\"}\n]", 3, "not valid JSON" },
        { "factor.yaml", "rules:\n" + GoodRule + "  - id: too-weak\n    kind: boost\n    skus: [85123]\n    factor: 0.5\n", 9, "rule 'too-weak': factor of a boost must be above 1 and at most 10, was 0.5" },
        { "unknown-field.yaml", GoodRule.Replace("  - ", "- ").Replace("\n    ", "\n  ") + "- id: typo\n  kind: bury\n  skus: [1]\n  facter: 0.5\n", 8, "rule 'typo': unknown field 'facter'" },
        { "pin.yaml", "- id: tea\n  kind: pin\n  sku: 22697\n", 1, "rule 'tea': trigger needs skus or categories" },
        { "twice.json", "{\"rules\": [\n {\"id\": \"a\", \"kind\": \"block\", \"skus\": [\"1\"]},\n {\"id\": \"a\", \"kind\": \"block\", \"skus\": [\"2\"]}\n]}", 3, "rule 'a': id appears twice (also on line 2)" },
        { "kind.json", "[\n {\"id\": \"a\",\n  \"kind\": \"promote\", \"skus\": [\"1\"]}\n]", 3, "rule 'a': kind:" },
        { "pattern.yaml", "- id: candles\n  kind: block\n  titlePattern: \"candle(\"\n", 3, "rule 'candles': titlePattern is not a regular expression" },
        { "window.yaml", "- id: xmas\n  kind: block\n  skus: [1]\n  validFrom: 2026-12-31T00:00:00Z\n  validTo: 2026-12-01T00:00:00Z\n", 4, "rule 'xmas': validFrom (2026-12-31T00:00:00.0000000+00:00) must be before validTo" },
        // Without an offset the time would be the local time of whoever applies the file.
        { "local-time.yaml", "- id: xmas\n  kind: block\n  skus: [1]\n  validFrom: 2026-12-01T10:00:00\n", 4, "is not an ISO 8601 date and time with an offset" },
        { "date-only.json", "[\n {\"id\": \"a\", \"kind\": \"block\", \"skus\": [\"1\"],\n  \"validTo\": \"2026-12-01\"}\n]", 3, "'2026-12-01' is not an ISO 8601 date and time with an offset" },
        { "market.yaml", "- id: eu\n  kind: markets\n  skus: [1]\n  markets: [eur]\n", 4, "rule 'eu': markets[0] must be a country code" },
        { "shape.yaml", "rule:\n  id: x\n", 1, "a rules file is a list of rules" },
        { "sku-number.json", "[\n {\"id\": \"a\", \"kind\": \"block\",\n  \"skus\": [85123]}\n]", 3, "rule 'a': skus:" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_rules_file_gives_one_clear_error_naming_file_line_rule_and_field_and_writes_nothing(string name, string content, int line, string message)
    {
        var path = File(name, content);

        var (code, _, error) = await Run("rules", "apply", path);

        Assert.Equal(2, code);
        var problems = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(path, StringComparison.Ordinal)).ToList();
        var problem = Assert.Single(problems);
        Assert.True(problem.StartsWith($"{path}:{line}: ", StringComparison.Ordinal), problem);
        Assert.Contains(message, problem);
        Assert.Contains("nothing was written", error);
        var (listed, output, _) = await Run("rules", "list");
        Assert.Equal(0, listed);
        Assert.Contains("0 rules", output);
    }

    [Fact]
    public async Task A_good_file_is_published_whole_listed_and_a_rule_can_be_deleted()
    {
        var path = File("rules.yaml", "rules:\n" + GoodRule + "  - id: no-candles\n    kind: block\n    titlePattern: candle\n    validTo: 2030-01-01T00:00:00Z\n");

        var (code, output, error) = await Run("rules", "apply", path);
        Assert.True(code == 0, error);
        Assert.Contains("2 rules written to merchandising-rules", output);

        (code, output, _) = await Run("rules", "list");
        Assert.Equal(0, code);
        Assert.Contains("lanterns-up", output);
        Assert.Contains("no-candles", output);
        Assert.Contains("2 rules", output);

        (code, output, _) = await Run("rules", "delete", "no-candles");
        Assert.Equal(0, code);
        (code, _, error) = await Run("rules", "delete", "no-candles");
        Assert.Equal(1, code);
        Assert.Contains("no rule 'no-candles'", error);

        var records = TopicProbe.ReadToEnd(_kafka.Options, Topics.MerchandisingRules, TimeSpan.FromSeconds(20));
        Assert.Equal(3, records.Count);
        Assert.Null(records.Single(r => r.Message.Key == "no-candles" && r.Message.Value is null).Message.Value);
        (_, output, _) = await Run("rules", "list");
        Assert.DoesNotContain("no-candles", output);
        Assert.Contains("1 rules", output);
    }
}
