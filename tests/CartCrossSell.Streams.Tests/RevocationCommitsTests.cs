using System.Reflection;
using CartCrossSell.Streams.Processing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net.Kafka;

namespace CartCrossSell.Streams.Tests;

/// <summary>
/// A commit the group refuses while a stream thread's partitions are revoked (<see cref="RevocationCommits"/>). The
/// real-broker case is <c>LearnerCrashTests</c>' second instance that joins and is killed.
/// </summary>
public sealed class RevocationCommitsTests
{
    private static readonly TopicPartitionOffset[] Offsets = [new("order-events", 0, 42), new("order-events", 1, 7)];

    [Fact]
    public void A_commit_the_group_refuses_during_a_revocation_lets_the_revocation_finish_and_anywhere_else_still_fails()
    {
        var group = Group.Refusing();
        var dropped = 0;
        var consumer = RevocationCommits.Consumer(group.Consumer, NullLogger.Instance, () => dropped++);
        var streamiz = new StreamizListener(consumer);

        RevocationCommits.Listener(streamiz).PartitionsRevoked(consumer, [.. Offsets]);

        Assert.Equal(1, group.Commits); // the commit was tried
        Assert.Equal(1, dropped); // and counted (cartxsell_revocation_commits_dropped_total)
        Assert.True(streamiz.Revoked, "the revocation went on past the refused commit");
        Assert.False(streamiz.RebalanceInProgress, "Streamiz's flag is cleared: the thread polls again and gets its next assignment");
        var outside = Assert.Throws<KafkaException>(() => consumer.Commit(Offsets)); // the thread's own commit: fencing, as before
        Assert.Equal(ErrorCode.RebalanceInProgress, outside.Error.Code);
    }

    [Fact]
    public void Without_the_wrapped_listener_the_refusal_escapes_and_leaves_streamizs_flag_set()
    {
        // What the wrapping is for: the listener as Streamiz 1.8.2 writes it, given the consumer alone.
        var group = Group.Refusing();
        var consumer = RevocationCommits.Consumer(group.Consumer, NullLogger.Instance);
        var streamiz = new StreamizListener(consumer);

        Assert.Throws<KafkaException>(() => streamiz.PartitionsRevoked(consumer, [.. Offsets]));
        Assert.True(streamiz.RebalanceInProgress);
    }

    [Fact]
    public void A_commit_the_group_accepts_during_a_revocation_commits_the_offsets()
    {
        var group = Group.Accepting();
        var dropped = 0;
        var consumer = RevocationCommits.Consumer(group.Consumer, NullLogger.Instance, () => dropped++);

        RevocationCommits.Listener(new StreamizListener(consumer)).PartitionsRevoked(consumer, [.. Offsets]);

        Assert.Equal(Offsets, group.Committed);
        Assert.Equal(0, dropped);
    }

    [Fact]
    public void The_client_supplier_gives_stream_threads_the_wrapped_listener_and_consumer_and_counts_each_drop()
    {
        var group = Group.Refusing();
        var inner = new OneConsumer(group.Consumer);
        var metrics = new StreamsMetrics(new Prometheus.CollectorRegistry());
        var supplier = new ClientSettingsSupplier(inner, new KafkaOptions { BootstrapServers = "127.0.0.1:9" }, NullLogger.Instance,
            () => metrics.RevocationCommitDropped("learner"));
        IConsumer<byte[], byte[]>? threadConsumer = null;
        var streamiz = new StreamizListener(() => threadConsumer!); // made before the consumer, as in Streamiz

        threadConsumer = supplier.GetConsumer(new ConsumerConfig { GroupId = "cartxsell-learner" }, streamiz);
        inner.Listener!.PartitionsRevoked(group.Consumer, [.. Offsets]); // as librdkafka calls it, with its own consumer

        Assert.False(streamiz.RebalanceInProgress);
        Assert.Equal(1, metrics.RevocationCommitsDropped("learner"));
    }

    /// <summary>A client supplier whose stream-thread consumer is <paramref name="consumer"/>; it keeps the listener it is given.</summary>
    private sealed class OneConsumer(IConsumer<byte[], byte[]> consumer) : IKafkaSupplier
    {
        public IConsumerRebalanceListener? Listener { get; private set; }
        public Streamiz.Kafka.Net.Metrics.StreamMetricsRegistry MetricsRegistry { get; set; } = null!;

        public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener)
        {
            Listener = rebalanceListener;
            return consumer;
        }

        public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) => throw new NotSupportedException();
        public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => throw new NotSupportedException();
        public IAdminClient GetAdmin(AdminClientConfig config) => throw new NotSupportedException();
        public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => throw new NotSupportedException();
    }

    /// <summary>Streamiz 1.8.2's revocation: flag set, tasks committed through the thread's consumer, flag cleared, no finally.</summary>
    /// <remarks>It reads the thread's consumer at the callback: Streamiz makes the listener before the consumer.</remarks>
    private sealed class StreamizListener(Func<IConsumer<byte[], byte[]>> threadConsumer) : IConsumerRebalanceListener
    {
        public StreamizListener(IConsumer<byte[], byte[]> threadConsumer) : this(() => threadConsumer) { }

        public bool RebalanceInProgress { get; private set; }
        public bool Revoked { get; private set; }

        public void PartitionsRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
        {
            RebalanceInProgress = true;
            threadConsumer().Commit(partitions);
            Revoked = true;
            RebalanceInProgress = false;
        }

        public void PartitionsAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) { }
        public void PartitionsLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions) { }
    }

    /// <summary>The group's side of a consumer: accepts or refuses commits, as a broker mid-rebalance does.</summary>
    public class Group : DispatchProxy
    {
        private bool _refuse;
        public int Commits { get; private set; }
        public List<TopicPartitionOffset> Committed { get; } = [];
        public IConsumer<byte[], byte[]> Consumer { get; private set; } = null!;

        public static Group Refusing() => Make(refuse: true);
        public static Group Accepting() => Make(refuse: false);

        private static Group Make(bool refuse)
        {
            var consumer = Create<IConsumer<byte[], byte[]>, Group>();
            var group = (Group)(object)consumer;
            group._refuse = refuse;
            group.Consumer = consumer;
            return group;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case "Commit" when args is [IEnumerable<TopicPartitionOffset> offsets]:
                    Commits++;
                    if (_refuse) throw new KafkaException(ErrorCode.RebalanceInProgress);
                    Committed.AddRange(offsets);
                    return null;
                case "get_Name":
                    return "thread-0-consumer";
                default:
                    throw new NotSupportedException(method.Name);
            }
        }
    }
}
