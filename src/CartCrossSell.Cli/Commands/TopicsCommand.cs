using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Hosting;
using Microsoft.Extensions.Configuration;

namespace CartCrossSell.Cli.Commands;

/// <summary><c>cartxsell topics apply</c>: creates every topic with its partitions, replication and cleanup policy.</summary>
public static class TopicsCommand
{
    public static Command Build()
    {
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var apply = new Command("apply", "Create missing topics (partitions, replication, cleanup policy from the Topics section); existing topics are reported, never changed");
        apply.Add(config);
        apply.Add(bootstrap);
        apply.SetAction(async (parse, ct) =>
        {
            var (configuration, options) = CommonOptions.KafkaOnly(parse, config, bootstrap);
            // Bound like every other section: a misspelt key (Topics:ReplicationFactr) is an error naming it, not a
            // production topic created with the default replication factor of 1.
            var layout = ServiceConfiguration.Section<TopicLayoutOptions>(configuration, TopicLayoutOptions.SectionName);
            layout.Validate();
            using var admin = new TopicAdmin(options.Kafka);
            var results = await admin.ApplyAsync(TopicLayout.All(layout, options.Streams), TimeSpan.FromSeconds(10), ct);
            var output = parse.InvocationConfiguration.Output;
            foreach (var r in results) await output.WriteLineAsync($"{r.Name,-36} {r.Partitions,3} partitions  {r.Outcome}");
            return results.Any(r => r.Outcome.StartsWith("failed", StringComparison.Ordinal)) ? 1 : 0;
        });
        var topics = new Command("topics", "Topic provisioning");
        topics.Add(apply);
        return topics;
    }
}
