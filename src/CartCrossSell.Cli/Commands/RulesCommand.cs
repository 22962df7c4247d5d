using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell rules apply | list | delete</c>: merchandising rules on the <c>merchandising-rules</c> topic.</summary>
public static class RulesCommand
{
    public static Command Build()
    {
        var rules = new Command("rules", "Merchandising rules (block, pin, boost, bury, markets, limits) on the merchandising-rules topic; docs/merchandising.md");
        rules.Add(Apply());
        rules.Add(List());
        rules.Add(Delete());
        return rules;
    }

    private static Command Apply()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "Rules file: JSON (.json) or YAML, a list of rules or { rules: [...] }" };
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var command = new Command("apply", "Validate every rule of a file, then publish them all (nothing is written when any rule has a problem)") { file, config, bootstrap };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!.FullName;
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            // Validate before connecting: a bad file never needs a broker to be refused.
            var check = OrderHistory.RuleFiles.Read(path);
            if (check.Problems.Count > 0) return await Refuse(error, check.Problems);
            using var publisher = new EventPublisher(Kafka(parse, config, bootstrap));
            var report = await RulesJob.ApplyAsync(publisher, check, ct);
            if (report.Problems.Count > 0) return await Refuse(error, report.Problems);
            foreach (var rule in report.Published) await output.WriteLineAsync($"{rule.Id,-32} {Kind(rule.Kind),-8} applied");
            await output.WriteLineAsync($"rules apply: {report.Published.Count} rules written to {Topics.MerchandisingRules}");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var command = new Command("list", "The current rules (latest record per id, deletions applied)") { config, bootstrap };
        command.SetAction(async (parse, ct) =>
        {
            var (rules, rejected) = await RulesJob.ListAsync(Kafka(parse, config, bootstrap), ct);
            var output = parse.InvocationConfiguration.Output;
            foreach (var rule in rules)
                await output.WriteLineAsync($"{rule.Id,-32} {Kind(rule.Kind),-8} {Window(rule),-45} {ContractsJsonText(rule)}");
            await output.WriteLineAsync($"{rules.Count} rules{(rejected > 0 ? $"; {rejected} unreadable records ignored (see dead-letters)" : "")}");
            return 0;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<string>("ID") { Description = "The id of the rule to delete" };
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var command = new Command("delete", "Delete a rule (a tombstone under its id); recommenders drop it at each cart's next event") { id, config, bootstrap };
        command.SetAction(async (parse, ct) =>
        {
            var kafka = Kafka(parse, config, bootstrap);
            using var publisher = new EventPublisher(kafka);
            var ruleId = parse.GetValue(id)!;
            if (!await RulesJob.DeleteAsync(publisher, kafka, ruleId, ct))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"no rule '{ruleId}' on {Topics.MerchandisingRules}");
                return 1;
            }
            await parse.InvocationConfiguration.Output.WriteLineAsync($"rule '{ruleId}' deleted");
            return 0;
        });
        return command;
    }

    private static KafkaOptions Kafka(ParseResult parse, Option<FileInfo?> config, Option<string?> bootstrap) =>
        CommonOptions.KafkaOnly(parse, config, bootstrap).Options.Kafka;

    private static async Task<int> Refuse(TextWriter error, IReadOnlyList<OrderHistory.ReadProblem> problems)
    {
        foreach (var problem in problems) await error.WriteLineAsync(problem.ToString());
        await error.WriteLineAsync($"rules apply: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}; nothing was written");
        return 2;
    }

    private static string Kind(MerchandisingRuleKind kind) => kind.ToString().ToLowerInvariant();

    private static string Window(MerchandisingRuleRecord r) =>
        r.ValidFrom is null && r.ValidTo is null ? "always" : $"{r.ValidFrom?.ToString("u") ?? "…"} to {r.ValidTo?.ToString("u") ?? "…"}";

    private static string ContractsJsonText(MerchandisingRuleRecord r) =>
        System.Text.Encoding.UTF8.GetString(ContractCodecs.MerchandisingRule.Encode(r));
}
