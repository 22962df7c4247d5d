using System.Text;
using Confluent.Kafka;

namespace CartCrossSell.Streams;

/// <summary>
/// Publishes events to topics (backfill, demo, simulator, storefront adapters): an idempotent producer, records
/// keyed so that everything about one cart, order or sku lands in one partition, in order.
/// </summary>
public sealed class EventPublisher : IDisposable
{
    private readonly IProducer<byte[], byte[]?> _producer;
    private Error? _error;
    private long _sent;

    /// <summary>How long a record may wait for the broker's acknowledgement by default: librdkafka's own 5 minutes made a
    /// command (or a request) against a cluster that is down look hung. <c>Kafka:Client</c>'s <c>message.timeout.ms</c> overrides it.</summary>
    public static readonly TimeSpan DefaultDeliveryTimeout = TimeSpan.FromSeconds(60);

    /// <param name="kafka">The cluster and client settings.</param>
    /// <param name="lingerMs">How long records wait to be batched.</param>
    /// <param name="deliveryTimeout">How long a record may wait for its acknowledgement before its delivery fails
    /// (<see cref="KafkaException"/>); default <see cref="DefaultDeliveryTimeout"/>.</param>
    public EventPublisher(KafkaOptions kafka, int lingerMs = 5, TimeSpan? deliveryTimeout = null)
    {
        kafka.Validate();
        var config = new ProducerConfig
        {
            EnableIdempotence = true, Acks = Acks.All, LingerMs = lingerMs, CompressionType = CompressionType.Lz4,
            MessageTimeoutMs = (int)(deliveryTimeout ?? DefaultDeliveryTimeout).TotalMilliseconds,
        };
        kafka.Apply(config);
        _producer = new ProducerBuilder<byte[], byte[]?>(config).SetLogHandler((_, _) => { }).Build();
    }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Queues one record; call <see cref="FlushAsync"/> to wait for the broker's acknowledgements.</summary>
    public void Publish(string topic, string key, byte[]? value, DateTimeOffset? timestamp = null)
    {
        if (_error is { } error) throw new KafkaException(error);
        var message = new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value };
        if (timestamp is { } ts) message.Timestamp = new Timestamp(ts);
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError) _error ??= report.Error;
                    else Interlocked.Increment(ref _sent);
                });
                return;
            }
            catch (ProduceException<byte[], byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50)); // back-pressure: wait for the broker to catch up
            }
        }
    }

    /// <summary>
    /// Publishes one record and waits for the broker's acknowledgement (a request handler that must answer only
    /// once the event is stored); returns where it landed. For a cart event the offset is the version of the Redis
    /// value that will answer it.
    /// </summary>
    public async Task<(int Partition, long Offset)> PublishAsync(string topic, string key, byte[] value, DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default)
    {
        var message = new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value };
        if (timestamp is { } ts) message.Timestamp = new Timestamp(ts);
        var report = await _producer.ProduceAsync(topic, message, cancellationToken);
        Interlocked.Increment(ref _sent);
        return (report.Partition.Value, report.Offset.Value);
    }

    /// <summary>Waits until every queued record is acknowledged; throws if any delivery failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        while (_producer.Flush(TimeSpan.FromMilliseconds(200)) > 0) cancellationToken.ThrowIfCancellationRequested();
        if (_error is { } error) throw new KafkaException(error);
    }, cancellationToken);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
