using CartCrossSell.Streams.Processing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Streams.Tests;

public sealed class PromptFlushProducerTests
{
    /// <summary>A producer that records the flushes asked of it and reports what it was told is still outstanding.</summary>
    private sealed class FlushRecorder(params int[] outstandingAfterEachFlush) : IProducer<byte[], byte[]>
    {
        private int _flushes;
        public List<TimeSpan> TimedFlushes { get; } = [];
        public int WholeFlushes { get; private set; }
        public int Produced { get; private set; }

        public int Flush(TimeSpan timeout)
        {
            TimedFlushes.Add(timeout);
            return outstandingAfterEachFlush[Math.Min(_flushes++, outstandingAfterEachFlush.Length - 1)];
        }

        public void Flush(CancellationToken cancellationToken = default) => WholeFlushes++;

        public void Produce(string topic, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) => Produced++;

        public Handle Handle => throw new NotSupportedException();
        public string Name => "recorder";
        public int AddBrokers(string brokers) => 0;
        public void SetSaslCredentials(string username, string password) { }
        public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(TopicPartition topicPartition, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public void Produce(TopicPartition topicPartition, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) => Produced++;
        public int Poll(TimeSpan timeout) => 0;
        public void InitTransactions(TimeSpan timeout) { }
        public void BeginTransaction() { }
        public void CommitTransaction(TimeSpan timeout) { }
        public void CommitTransaction() { }
        public void AbortTransaction(TimeSpan timeout) { }
        public void AbortTransaction() { }
        public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) { }
        public void Dispose() { }
    }

    [Fact]
    public void A_commit_s_flush_goes_in_one_millisecond_turns_until_nothing_is_outstanding_never_through_the_producer_s_own_loop()
    {
        // The producer's own flush (Flush(CancellationToken)) waits in 100 ms turns that end 10 ms after the last report
        // at the earliest: Streamiz calls exactly that one at every commit.
        var inner = new FlushRecorder(3, 1, 0);
        var producer = new PromptFlushProducer(inner);

        producer.Flush();

        Assert.Equal(0, inner.WholeFlushes);
        Assert.Equal([PromptFlushProducer.Turn, PromptFlushProducer.Turn, PromptFlushProducer.Turn], inner.TimedFlushes);
        Assert.Equal(TimeSpan.FromMilliseconds(1), PromptFlushProducer.Turn);
    }

    [Fact]
    public void A_flush_with_messages_outstanding_stops_when_cancelled_and_a_timed_one_returns_what_is_left()
    {
        var stuck = new FlushRecorder(5);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => new PromptFlushProducer(stuck).Flush(cancelled.Token));
        Assert.Single(stuck.TimedFlushes); // one turn, then the token is looked at

        var timed = new FlushRecorder(5);
        Assert.Equal(5, new PromptFlushProducer(timed).Flush(TimeSpan.FromMilliseconds(20)));
        Assert.True(timed.TimedFlushes.Count > 1);
        Assert.All(timed.TimedFlushes, t => Assert.True(t <= PromptFlushProducer.Turn)); // turns, the last one cut to what was left

        var quick = new FlushRecorder(0);
        Assert.Equal(0, new PromptFlushProducer(quick).Flush(TimeSpan.FromSeconds(10)));
        Assert.Single(quick.TimedFlushes);
    }

    [Fact]
    public void Everything_else_is_the_producer_s_own()
    {
        var inner = new FlushRecorder(0);
        var producer = new PromptFlushProducer(inner);
        producer.Produce("t", new Message<byte[], byte[]>());
        producer.Produce(new TopicPartition("t", 1), new Message<byte[], byte[]>());
        Assert.Equal(2, inner.Produced);
        Assert.Equal("recorder", producer.Name);
        Assert.Same(inner, producer.Inner);
    }

    /// <summary>
    /// On the embedded cluster, through the producer a stream group's supplier hands Streamiz: when the commit's flush
    /// returns, every message produced before it has its delivery report served and is on the broker.
    /// </summary>
    [Fact]
    public void The_stream_groups_producer_has_every_message_acknowledged_when_its_flush_returns()
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        var kafka = cluster.ToOptions();
        var config = StreamApplication.Config("app-flush", kafka, new StreamsOptions(), NullLoggerFactory.Instance, "/tmp/unused");
        using var producer = StreamApplication.Clients(config, kafka).GetProducer(config.ToProducerConfig("app-flush-producer"));
        Assert.IsType<PromptFlushProducer>(producer);
        const string topic = "prompt-flush";

        var delivered = 0;
        for (var round = 1; round <= 20; round++)
        {
            for (var i = 0; i < 50; i++)
                producer.Produce(topic, new Message<byte[], byte[]> { Key = [(byte)i], Value = [(byte)round] }, report =>
                {
                    Assert.False(report.Error.IsError, report.Error.Reason);
                    Interlocked.Increment(ref delivered);
                });
            producer.Flush(); // as Streamiz's commit does
            Assert.Equal(50 * round, Volatile.Read(ref delivered));
            Assert.Equal(0, producer.Flush(TimeSpan.Zero));
        }

        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers, GroupId = "prompt-flush-check", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(topic);
        var read = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (read < 1_000 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not null) read++;
        Assert.Equal(1_000, read);
    }
}
