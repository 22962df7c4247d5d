using CartCrossSell.Contracts;
using CartCrossSell.Streams.Processing;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;

namespace CartCrossSell.Streams.Testing;

/// <summary>A record a topology sent while being driven.</summary>
public sealed record SentRecord(string Topic, string Key, byte[] Value, DateTimeOffset Timestamp)
{
    /// <summary>How many headers the record carried.</summary>
    public int HeaderCount { get; init; }

    public string ValueText => System.Text.Encoding.UTF8.GetString(Value);
}

/// <summary>
/// Drives a topology group without a broker on Streamiz's own <see cref="TopologyTestDriver"/>, with the service's
/// configuration (so bad input dead-letters exactly as in production). Records piped in are encoded by the given
/// codec or piped as raw bytes; what the topology sends is read back per topic; stores are reachable for assertions;
/// wall-clock time is advanced by hand to fire punctuations.
/// </summary>
public sealed class GroupTestDriver : IDisposable
{
    private readonly TopologyTestDriver _driver;
    private readonly Dictionary<string, TestInputTopic<string, byte[]>> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TestOutputTopic<string, byte[]>> _outputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SentRecord>> _sent = new(StringComparer.Ordinal);
    private readonly string _stateDirectory;

    public GroupTestDriver(TopologyGroup group, StreamsOptions? streams = null)
    {
        Group = group;
        streams ??= new StreamsOptions { StateStore = StateStoreKind.InMemory };
        _stateDirectory = Path.Combine(Path.GetTempPath(), "cartxsell-driver-" + Guid.NewGuid().ToString("N"));
        var options = new StreamsOptions
        {
            ApplicationId = streams.ApplicationId, StateStore = streams.StateStore, StateDirectory = _stateDirectory,
            // The group's own commit interval, as StreamApplication gives it (the learner commits every second).
            CommitInterval = group.CommitInterval ?? streams.CommitInterval, MaxRecordBytes = streams.MaxRecordBytes,
        };
        var config = StreamApplication.Config(StreamApplication.ApplicationIdOf(options, group.Name),
            new KafkaOptions { BootstrapServers = "driver:9092" }, options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        _driver = new TopologyTestDriver(group.Topology, config);
        // The driver runs synchronously: everything a piped record sends is in the output's history when Pipe returns,
        // and reading waits for nothing. A consume timeout would only add a race: Streamiz's SyncConsumer gives up
        // (returns no record, which ends ReadKeyValueList) when its timeout has passed since it took its lock, so a
        // thread descheduled for 10 ms on a loaded machine read a short list. Zero switches that check off.
        foreach (var topic in group.Outputs.Append(Topics.DeadLetters).Distinct(StringComparer.Ordinal))
            _outputs[topic] = _driver.CreateOutputTopic<string, byte[]>(topic, TimeSpan.Zero, new StringSerDes(), new ByteArraySerDes());
    }

    public TopologyGroup Group { get; }

    private TestInputTopic<string, byte[]> Input(string topic)
    {
        if (!_inputs.TryGetValue(topic, out var input))
            _inputs[topic] = input = _driver.CreateInputTopic(topic, new StringSerDes(), new ByteArraySerDes());
        return input;
    }

    /// <summary>Pipes a typed value, encoded as producers encode it.</summary>
    public void Pipe<T>(string topic, string? key, T value, IValueCodec<T> codec, DateTimeOffset? timestamp = null) =>
        PipeRaw(topic, key, codec.Encode(value), timestamp);

    /// <summary>Pipes raw bytes (or a tombstone), as a misbehaving producer would, with the headers it chose.</summary>
    public void PipeRaw(string topic, string? key, byte[]? value, DateTimeOffset? timestamp = null, Confluent.Kafka.Headers? headers = null) =>
        Input(topic).PipeInput(key!, value!, (timestamp ?? DateTimeOffset.UtcNow).UtcDateTime, headers!);

    /// <summary>Fires processing-time punctuations due within <paramref name="by"/>.</summary>
    public void AdvanceWallClock(TimeSpan by) => _driver.AdvanceWallClockTime(by);

    /// <summary>Commits every task: stores flush (effect barriers wait for their effects), then offsets commit.</summary>
    public void Commit() => _driver.Commit();

    /// <summary>Every record sent to <paramref name="topic"/> so far, in order.</summary>
    public IReadOnlyList<SentRecord> SentTo(string topic)
    {
        if (!_outputs.TryGetValue(topic, out var output))
            throw new ArgumentException($"'{topic}' is not an output of group '{Group.Name}'", nameof(topic));
        if (!_sent.TryGetValue(topic, out var sent)) _sent[topic] = sent = [];
        sent.AddRange(output.ReadKeyValueList().Select(r =>
            new SentRecord(topic, r.Message.Key, r.Message.Value, r.Message.Timestamp.UtcDateTime) { HeaderCount = r.Message.Headers?.Count ?? 0 }));
        return sent;
    }

    public IReadOnlyList<DeadLetter> DeadLetters =>
        SentTo(Topics.DeadLetters).Select(r => ContractCodecs.DeadLetter.Decode(r.Value).Value!).ToArray();

    public IReadOnlyKeyValueStore<string, TValue> Store<TValue>(string name) => _driver.GetKeyValueStore<string, TValue>(name);

    public void Dispose()
    {
        _driver.Dispose();
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // in-memory stores wrote nothing
        }
    }
}
