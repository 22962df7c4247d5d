using Confluent.Kafka;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// A stream group's producer whose flush returns about a millisecond after the last delivery report instead of ten:
/// every other member is the producer's own.
/// </summary>
/// <remarks>
/// <para>
/// Why: Streamiz flushes its producer at every commit, before the offsets move, and Confluent.Kafka's flush
/// (<c>rd_kafka_flush</c>) waits for the delivery reports in polls of up to 10 ms, while the client's own background
/// thread serves those same reports. Whenever a message was in flight at the commit, the background thread took its
/// report and the flush slept out the rest of its 10 ms poll: measured on the embedded cluster, 10.1 ms for any flush
/// with a message in flight, 0.07 ms when the flush serves the report itself. With the 100 ms commit interval the
/// stream threads sat idle a tenth of the time, and every cart event that arrived during a commit waited for it
/// (docs/benchmarks.md, "Commits that waited for the producer and for RocksDB"; `producer-flush` in bench/CartCrossSell.Benchmarks). This happens with any broker: it is the client.
/// </para>
/// <para>
/// Here the flush is a series of 1 ms flushes until nothing is outstanding: each sends what lingers at once (a flush
/// ignores <c>linger.ms</c> while it runs, as the full flush does) and returns at most a millisecond after the last
/// report was served, by either thread. Same guarantee as the full flush: it returns only once every message produced
/// before it was acknowledged or failed (its report served), so Streamiz still commits offsets only after the effects
/// are durable. Turning the background thread off instead (<c>dotnet.producer.enable.background.poll</c>) would also
/// make the flush prompt, but then reports would wait for the next commit and count against
/// <c>queue.buffering.max.messages</c> until then: a long punctuation could fill the queue and stop the thread.
/// </para>
/// </remarks>
public sealed class PromptFlushProducer(IProducer<byte[], byte[]> inner) : IProducer<byte[], byte[]>
{
    private readonly IProducer<byte[], byte[]> _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>Each turn of a flush: long enough to serve a report that arrives in it, short enough to return soon after.</summary>
    internal static readonly TimeSpan Turn = TimeSpan.FromMilliseconds(1);

    /// <summary>The producer this one passes everything but the flush to.</summary>
    public IProducer<byte[], byte[]> Inner => _inner;

    /// <summary>Flushes in turns of <see cref="Turn"/> until nothing is outstanding (the producer's own loop: turns of 100 ms, each ending 10 ms after the last report at the earliest).</summary>
    public void Flush(CancellationToken cancellationToken = default)
    {
        while (_inner.Flush(Turn) > 0) cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Flushes in turns of <see cref="Turn"/> until nothing is outstanding or <paramref name="timeout"/> has passed (by
    /// at most one turn); returns what is still outstanding, as the producer's own does.
    /// </summary>
    public int Flush(TimeSpan timeout)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var turn = timeout < Turn ? timeout : Turn;
        int outstanding;
        do outstanding = _inner.Flush(turn);
        while (outstanding > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout);
        return outstanding;
    }

    public Handle Handle => _inner.Handle;
    public string Name => _inner.Name;
    public int AddBrokers(string brokers) => _inner.AddBrokers(brokers);
    public void SetSaslCredentials(string username, string password) => _inner.SetSaslCredentials(username, password);

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        _inner.ProduceAsync(topic, message, cancellationToken);

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(TopicPartition topicPartition, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        _inner.ProduceAsync(topicPartition, message, cancellationToken);

    public void Produce(string topic, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        _inner.Produce(topic, message, deliveryHandler);

    public void Produce(TopicPartition topicPartition, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        _inner.Produce(topicPartition, message, deliveryHandler);

    public int Poll(TimeSpan timeout) => _inner.Poll(timeout);
    public void InitTransactions(TimeSpan timeout) => _inner.InitTransactions(timeout);
    public void BeginTransaction() => _inner.BeginTransaction();
    public void CommitTransaction(TimeSpan timeout) => _inner.CommitTransaction(timeout);
    public void CommitTransaction() => _inner.CommitTransaction();
    public void AbortTransaction(TimeSpan timeout) => _inner.AbortTransaction(timeout);
    public void AbortTransaction() => _inner.AbortTransaction();

    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        _inner.SendOffsetsToTransaction(offsets, groupMetadata, timeout);

    public void Dispose() => _inner.Dispose();
}
