using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Streams;

/// <summary>
/// A compacted topic read in full by a tool outside the topologies (<c>cartxsell report</c>, the demo's figures): every
/// partition is read from the beginning, the latest value per key wins, a tombstone deletes, and the caller can wait
/// until what was in the topic at the start is loaded. Topologies read their tables as Streamiz global stores
/// (<see cref="Processing.ReplicatedTable{T}"/>). Reads are lock-free and safe from any thread.
/// </summary>
public sealed class GlobalTable<T> : IAsyncDisposable where T : class
{
    private readonly string _topic;
    private readonly KafkaOptions _kafka;
    private readonly ILogger _log;
    private readonly DecodedEntries<T> _entries;
    private volatile TaskCompletionSource _caughtUp = NewSignal();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="refuse">The reason a decoded value may not be stored under its key (see <see cref="DecodedEntries{T}"/>).</param>
    public GlobalTable(string topic, IValueCodec<T> codec, KafkaOptions kafka, ILoggerFactory loggers, Func<string, T, string?>? refuse = null)
    {
        _topic = topic;
        _kafka = kafka;
        _log = loggers.CreateLogger($"CartCrossSell.Streams.GlobalTable.{topic}");
        _entries = new DecodedEntries<T>(topic, codec, _log, refuse: refuse);
    }

    /// <summary>Called on the table's thread after a value is stored or deleted (value null), for secondary indexes.</summary>
    public event Action<string, T?, T?>? Changed
    {
        add => _entries.Changed += value;
        remove => _entries.Changed -= value;
    }

    public string Topic => _topic;
    public int Count => _entries.Count;
    public long Applied => _entries.Applied;
    /// <summary>Records that did not decode. They are logged and counted; the topology that owns the topic dead-letters them.</summary>
    public long Rejected => _entries.Rejected;
    /// <summary>True once the table holds what was in the topic at the start (not when the read failed before that).</summary>
    public bool IsCaughtUp => _caughtUp.Task.IsCompletedSuccessfully;

    public T? Find(string key) => _entries.Find(key);

    public IEnumerable<KeyValuePair<string, T>> Entries => _entries.Entries;

    /// <summary>Completes once the table holds everything that was in the topic when it started.</summary>
    public Task WaitUntilCaughtUpAsync(CancellationToken cancellationToken = default) => _caughtUp.Task.WaitAsync(cancellationToken);

    public Task RunAsync(CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Reads the topic until cancelled. A read that fails before it caught up fails the wait for it (a caller waiting
    /// on start-up sees the error instead of waiting forever); running it again (the web host retries) starts a new wait.
    /// </summary>
    private void Run(CancellationToken ct)
    {
        var caughtUp = _caughtUp;
        if (caughtUp.Task.IsCompleted && !caughtUp.Task.IsCompletedSuccessfully) _caughtUp = caughtUp = NewSignal();
        try
        {
            Read(caughtUp, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            caughtUp.TrySetException(e);
            throw;
        }
        finally
        {
            caughtUp.TrySetCanceled(CancellationToken.None);
        }
    }

    private void Read(TaskCompletionSource caughtUp, CancellationToken ct)
    {
        var config = new ConsumerConfig
        {
            GroupId = $"global-table-{_topic}-{Guid.NewGuid():N}", // never joins or commits: assign() only
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        _kafka.Apply(config);
        using var consumer = new ConsumerBuilder<byte[], byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        int partitions;
        using (var admin = new TopicAdmin(_kafka))
            partitions = admin.Describe([_topic], TimeSpan.FromSeconds(15))[_topic];

        var ends = new Dictionary<int, long>();
        for (var p = 0; p < partitions; p++)
        {
            var wm = consumer.QueryWatermarkOffsets(new TopicPartition(_topic, p), TimeSpan.FromSeconds(15));
            if (wm.High.Value > wm.Low.Value) ends[p] = wm.High.Value;
        }
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(_topic, p, Offset.Beginning)));
        if (ends.Count == 0) caughtUp.TrySetResult();
        _log.LogInformation("global table {Topic}: loading {Partitions} partitions", _topic, partitions);

        try
        {
            while (!ct.IsCancellationRequested)
            {
                ConsumeResult<byte[], byte[]?>? r;
                try
                {
                    r = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    _log.LogWarning("global table {Topic}: {Reason}", _topic, e.Error.Reason);
                    continue;
                }
                if (r is null) continue;
                Apply(r);
                if (ends.Count > 0 && ends.TryGetValue(r.Partition.Value, out var end) && r.Offset.Value >= end - 1)
                {
                    ends.Remove(r.Partition.Value);
                    if (ends.Count == 0)
                    {
                        _log.LogInformation("global table {Topic}: caught up with {Count} entries", _topic, _entries.Count);
                        caughtUp.TrySetResult();
                    }
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    private void Apply(ConsumeResult<byte[], byte[]?> r)
    {
        if (r.Message.Key is not null) _entries.Apply(Encoding.UTF8.GetString(r.Message.Key), r.Message.Value);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
