using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace CartCrossSell.Streams;

/// <summary>A topic as it should exist: partitions, replication and cleanup policy.</summary>
public sealed record TopicSpec(string Name, int Partitions, short ReplicationFactor, string CleanupPolicy, IReadOnlyDictionary<string, string>? Configs = null);

/// <summary>What <see cref="TopicAdmin.ApplyAsync"/> did for one topic.</summary>
public sealed record TopicApplyResult(string Name, string Outcome, int Partitions);

/// <summary>Topic metadata and provisioning through the admin API.</summary>
public sealed class TopicAdmin : IDisposable
{
    private readonly IAdminClient _admin;

    public TopicAdmin(KafkaOptions kafka)
    {
        var config = new AdminClientConfig();
        kafka.Apply(config);
        // librdkafka's own log writes a line per connection attempt to stderr (hundreds while a cluster is down); the
        // failure that matters reaches the caller as the exception of the call, as for the publisher and the tables.
        _admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>
    /// The partition count of each topic. A missing topic is an error naming the fix, unless the cluster creates
    /// topics on first use (the embedded mock cluster does, with its default of 4 partitions).
    /// </summary>
    public IReadOnlyDictionary<string, int> Describe(IEnumerable<string> topics, TimeSpan timeout)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in topics.Distinct(StringComparer.Ordinal))
        {
            var metadata = _admin.GetMetadata(topic, timeout);
            var t = metadata.Topics.SingleOrDefault(x => x.Topic == topic);
            if (t is null || t.Error.Code == ErrorCode.UnknownTopicOrPart || t.Partitions.Count == 0)
                throw new InvalidOperationException($"topic '{topic}' does not exist: create it with `cartxsell topics apply` (error: {t?.Error.Reason ?? "no metadata"})");
            if (t.Error.IsError)
                throw new InvalidOperationException($"topic '{topic}': {t.Error.Reason}");
            result[topic] = t.Partitions.Count;
        }
        return result;
    }

    /// <summary>
    /// Creates missing topics with their partitions, replication and cleanup policy, and reports existing ones.
    /// Existing topics are never altered (changing partitions would move keys between partitions and state).
    /// </summary>
    public async Task<IReadOnlyList<TopicApplyResult>> ApplyAsync(IReadOnlyList<TopicSpec> specs, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var existing = _admin.GetMetadata(timeout).Topics
            .Where(t => !t.Error.IsError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
        var results = new List<TopicApplyResult>();
        var toCreate = new List<TopicSpecification>();
        foreach (var spec in specs)
        {
            if (existing.TryGetValue(spec.Name, out var partitions))
            {
                var outcome = partitions == spec.Partitions ? "exists" : $"exists with {partitions} partitions (configured {spec.Partitions}; not changed)";
                results.Add(new TopicApplyResult(spec.Name, outcome, partitions));
                continue;
            }
            var configs = new Dictionary<string, string>(spec.Configs ?? new Dictionary<string, string>()) { ["cleanup.policy"] = spec.CleanupPolicy };
            toCreate.Add(new TopicSpecification { Name = spec.Name, NumPartitions = spec.Partitions, ReplicationFactor = spec.ReplicationFactor, Configs = configs });
        }
        if (toCreate.Count == 0) return results;

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _admin.CreateTopicsAsync(toCreate, new CreateTopicsOptions { RequestTimeout = timeout, OperationTimeout = timeout });
            results.AddRange(toCreate.Select(t => new TopicApplyResult(t.Name, $"created ({t.Configs["cleanup.policy"]})", t.NumPartitions)));
        }
        catch (CreateTopicsException e)
        {
            foreach (var r in e.Results)
            {
                var spec = toCreate.Single(t => t.Name == r.Topic);
                results.Add(r.Error.IsError
                    ? new TopicApplyResult(r.Topic, $"failed: {r.Error.Reason}", 0)
                    : new TopicApplyResult(r.Topic, $"created ({spec.Configs["cleanup.policy"]})", spec.NumPartitions));
            }
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_TimedOut or ErrorCode.RequestTimedOut)
        {
            // The embedded mock cluster has no controller and cannot create topics: it creates them on first use
            // with its default partition count, without cleanup policies. Touch each topic so it exists.
            var described = Describe(toCreate.Select(t => t.Name), timeout);
            results.AddRange(described.Select(d => new TopicApplyResult(d.Key,
                $"auto-created by the cluster with {d.Value} partitions (CreateTopics unsupported: {e.Error.Reason}); cleanup policy not applied", d.Value)));
        }
        return results;
    }

    public void Dispose() => _admin.Dispose();
}
