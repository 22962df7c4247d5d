using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net.Kafka;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// A stream thread's consumer whose offset commit made while its partitions are being revoked cannot stop the thread:
/// when the group refuses it, the thread goes on without those offsets instead of hanging.
/// </summary>
/// <remarks>
/// <para>
/// Why: Streamiz 1.8.2's rebalance listener sets its task manager's <c>RebalanceInProgress</c> before it revokes the
/// tasks and clears it after, with no <c>finally</c>. Revoking commits the revoked tasks' offsets, and a commit the group
/// refuses ("Broker: Group rebalance in progress", which the embedded cluster answers whenever another member joins or
/// leaves at that moment) throws out of the listener with the flag still set. The stream thread then takes the
/// exception for a fencing (closes what tasks it still has, subscribes again) and, while the flag is set, sleeps
/// instead of polling; it never polls again, so it never receives its next assignment. Found in
/// <c>LearnerCrashTests</c>: a learner's two threads asleep for good after a second instance joined, no log line after
/// the fencing, the learned rows short of the batch computation.
/// </para>
/// <para>
/// Why dropping the commit is safe: the revoked tasks' state was flushed to the changelog before the commit (Streamiz
/// prepares the commit first), so the next owner restores everything they did and replays from the last committed
/// offsets what they processed since, which every store here applies once (applied source offsets per row, cart
/// versions, numbered outcome changes), exactly as after a crash between the changelog flush and the commit. Tasks
/// that stay assigned keep their offsets to commit at the next commit.
/// </para>
/// <para>
/// Only commits made inside the revocation callback are forgiven, on the thread that runs it; every other commit
/// still fails as before (a refused commit in the thread's loop is Streamiz's fencing path, which recovers by itself).
/// </para>
/// </remarks>
public static class RevocationCommits
{
    // Set on the stream thread while its consumer runs the revocation callback (librdkafka serves rebalance callbacks
    // on the thread that polls), so the consumer on that thread knows a commit comes from the revocation.
    [ThreadStatic] private static bool _revoking;

    /// <summary>True on a thread while it runs a wrapped listener's revocation.</summary>
    internal static bool Revoking => _revoking;

    /// <summary>The listener, marking the thread while it revokes; null stays null (a supplier that makes no client).</summary>
    public static IConsumerRebalanceListener Listener(IConsumerRebalanceListener listener) =>
        listener is null ? null! : new RevokingListener(listener);

    /// <summary>
    /// The consumer, forgiving a refused commit made during a revocation (logged, and counted by
    /// <paramref name="dropped"/>); null stays null.
    /// </summary>
    public static IConsumer<byte[], byte[]> Consumer(IConsumer<byte[], byte[]> consumer, ILogger? log = null, Action? dropped = null) =>
        consumer is null ? null! : new RevocationTolerantConsumer(consumer, log ?? NullLogger.Instance, dropped);

    private sealed class RevokingListener(IConsumerRebalanceListener inner) : IConsumerRebalanceListener
    {
        public void PartitionsAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) =>
            inner.PartitionsAssigned(consumer, partitions);

        public void PartitionsRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
        {
            var outer = _revoking;
            _revoking = true;
            try
            {
                inner.PartitionsRevoked(consumer, partitions);
            }
            finally
            {
                _revoking = outer;
            }
        }

        public void PartitionsLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions) =>
            inner.PartitionsLost(consumer, partitions);
    }
}

/// <summary>
/// Passes every call to the consumer it wraps; an offset commit refused during a revocation is logged and dropped
/// (<see cref="RevocationCommits"/>).
/// </summary>
/// <remarks>
/// Written out member by member rather than as a <see cref="System.Reflection.DispatchProxy"/> like the crash tests'
/// watcher (<see cref="CommitStepKill.Watch"/>, which only an armed test process uses): this one wraps every stream
/// thread's consumer in production, and Streamiz calls <c>Consume</c> once per record, where a proxy would invoke by
/// reflection and box the arguments each time.
/// </remarks>
internal sealed class RevocationTolerantConsumer(IConsumer<byte[], byte[]> inner, ILogger log, Action? dropped) : IConsumer<byte[], byte[]>
{
    public void Commit(IEnumerable<TopicPartitionOffset> offsets)
    {
        if (!RevocationCommits.Revoking)
        {
            inner.Commit(offsets);
            return;
        }
        var list = offsets as IReadOnlyCollection<TopicPartitionOffset> ?? offsets.ToList();
        try
        {
            inner.Commit(list);
        }
        catch (KafkaException e)
        {
            log.LogWarning("{Consumer}: the offsets of {Count} partitions were not committed while they were revoked ({Error}); " +
                "their next owner replays from the last committed offsets, and the stores apply each record once",
                inner.Name, list.Count, e.Error.Reason);
            dropped?.Invoke();
        }
    }

    public List<TopicPartitionOffset> Commit() => inner.Commit();
    public void Commit(ConsumeResult<byte[], byte[]> result) => inner.Commit(result);

    public Handle Handle => inner.Handle;
    public string Name => inner.Name;
    public int AddBrokers(string brokers) => inner.AddBrokers(brokers);
    public void SetSaslCredentials(string username, string password) => inner.SetSaslCredentials(username, password);
    public string MemberId => inner.MemberId;
    public List<TopicPartition> Assignment => inner.Assignment;
    public List<string> Subscription => inner.Subscription;
    public IConsumerGroupMetadata ConsumerGroupMetadata => inner.ConsumerGroupMetadata;
    public ConsumeResult<byte[], byte[]> Consume(int millisecondsTimeout) => inner.Consume(millisecondsTimeout);
    public ConsumeResult<byte[], byte[]> Consume(CancellationToken cancellationToken = default) => inner.Consume(cancellationToken);
    public ConsumeResult<byte[], byte[]> Consume(TimeSpan timeout) => inner.Consume(timeout);
    public void Subscribe(IEnumerable<string> topics) => inner.Subscribe(topics);
    public void Subscribe(string topic) => inner.Subscribe(topic);
    public void Unsubscribe() => inner.Unsubscribe();
    public void Assign(TopicPartition partition) => inner.Assign(partition);
    public void Assign(TopicPartitionOffset partition) => inner.Assign(partition);
    public void Assign(IEnumerable<TopicPartitionOffset> partitions) => inner.Assign(partitions);
    public void Assign(IEnumerable<TopicPartition> partitions) => inner.Assign(partitions);
    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions) => inner.IncrementalAssign(partitions);
    public void IncrementalAssign(IEnumerable<TopicPartition> partitions) => inner.IncrementalAssign(partitions);
    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions) => inner.IncrementalUnassign(partitions);
    public void Unassign() => inner.Unassign();
    public void StoreOffset(ConsumeResult<byte[], byte[]> result) => inner.StoreOffset(result);
    public void StoreOffset(TopicPartitionOffset offset) => inner.StoreOffset(offset);
    public void Seek(TopicPartitionOffset tpo) => inner.Seek(tpo);
    public void Pause(IEnumerable<TopicPartition> partitions) => inner.Pause(partitions);
    public void Resume(IEnumerable<TopicPartition> partitions) => inner.Resume(partitions);
    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => inner.Committed(timeout);
    public List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) => inner.Committed(partitions, timeout);
    public Offset Position(TopicPartition partition) => inner.Position(partition);
    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout) =>
        inner.OffsetsForTimes(timestampsToSearch, timeout);
    public WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition) => inner.GetWatermarkOffsets(topicPartition);
    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout) => inner.QueryWatermarkOffsets(topicPartition, timeout);
    public void Close() => inner.Close();
    public void Dispose() => inner.Dispose();
}
