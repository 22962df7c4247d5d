using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Training;

namespace CartCrossSell.Topologies.Hosting;

/// <summary>How topics are provisioned (<c>cartxsell topics apply</c>). Bound from the <c>Topics</c> section.</summary>
public sealed class TopicLayoutOptions
{
    public const string SectionName = "Topics";

    /// <summary>Partitions of every topic (changelogs must match their input topic, so one number serves all). Default 6.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor. Default 1 (a single broker); use 3 on a production cluster.</summary>
    public short ReplicationFactor { get; set; } = 1;

    /// <summary>Retention of the event topics in milliseconds. Default 7 days.</summary>
    public long RetentionMs { get; set; } = (long)TimeSpan.FromDays(7).TotalMilliseconds;

    public void Validate()
    {
        if (Partitions < 1) throw new OptionsValidationException($"{SectionName}:Partitions must be at least 1");
        if (ReplicationFactor < 1) throw new OptionsValidationException($"{SectionName}:ReplicationFactor must be at least 1");
    }
}

/// <summary>Every topic of the service with its cleanup policy: events are deleted by age, tables and changelogs compacted.</summary>
public static class TopicLayout
{
    public static IReadOnlyList<TopicSpec> All(TopicLayoutOptions layout, StreamsOptions streams)
    {
        layout.Validate();
        var retention = new Dictionary<string, string> { ["retention.ms"] = layout.RetentionMs.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        TopicSpec Events(string name) => new(name, layout.Partitions, layout.ReplicationFactor, "delete", retention);
        TopicSpec Table(string name) => new(name, layout.Partitions, layout.ReplicationFactor, "compact");
        var outcomes = StreamApplication.ApplicationIdOf(streams, TopologyNames.Outcomes);
        return
        [
            Events(Topics.CartEvents),
            Events(Topics.OrderEvents),
            Table(Topics.Catalog),
            Table(Topics.ItemNeighbors),
            Events(Topics.DeadLetters),
            Table(Topics.AovAggregates),
            Table(Topics.RankingModels),
            Table(Topics.MerchandisingRules),
            Events(Topics.CrossSellImpressions),
            // The Streamiz groups: application id {app}-{group}. Streamiz would create the changelogs itself; creating
            // them here gives them the cleanup policy and replication the operator chose.
            Events(BasketLearningTopology.RepartitionTopic(streams)),
            Table(TopicNames.Changelog(StreamApplication.ApplicationIdOf(streams, TopologyNames.Learner), TopologyNames.BasketRowsStore)),
            Table(TopicNames.Changelog(StreamApplication.ApplicationIdOf(streams, TopologyNames.Learner), TopologyNames.OrderIdsStore)),
            Table(TopicNames.Changelog(StreamApplication.ApplicationIdOf(streams, TopologyNames.Recommender), TopologyNames.CartsStore)),
            Events(OutcomesTopology.SessionEventsTopic(streams)),
            Events(OutcomesTopology.SessionOutcomesTopic(streams)),
            Table(TopicNames.Changelog(outcomes, TopologyNames.SessionWindowsStore)),
            Table(TopicNames.Changelog(outcomes, TopologyNames.SessionClockStore)),
            Table(TopicNames.Changelog(outcomes, TopologyNames.AovSessionsStore)),
            Events(RankerTrainerTopology.RepartitionTopic(streams)),
            Table(TopicNames.Changelog(StreamApplication.ApplicationIdOf(streams, TopologyNames.RankerTrainer), TopologyNames.RankerSampleStore)),
        ];
    }
}
