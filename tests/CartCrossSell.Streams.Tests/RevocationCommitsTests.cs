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
        var consumer = RevocationCommits.Consumer(group.Consumer, NullLogger.Instance);
        var streamiz = new StreamizListener(consumer);

        RevocationCommits.Listener(streamiz).PartitionsRevoked(consumer, [.. Offsets]);

        Assert.Equal(1, group.Commits); // the commit was tried
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
        var consumer = RevocationCommits.Consumer(group.Consumer, NullLogger.Instance);

        RevocationCommits.Listener(new StreamizListener(consumer)).PartitionsRevoked(consumer, [.. Offsets]);

        Assert.Equal(Offsets, group.Committed);
    }

    /// <summary>Streamiz 1.8.2's revocation: flag set, tasks committed through the thread's consumer, flag cleared, no finally.</summary>
    private sealed class StreamizListener(IConsumer<byte[], byte[]> threadConsumer) : IConsumerRebalanceListener
    {
        public bool RebalanceInProgress { get; private set; }
        public bool Revoked { get; private set; }

        public void PartitionsRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
        {
            RebalanceInProgress = true;
            threadConsumer.Commit(partitions);
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
