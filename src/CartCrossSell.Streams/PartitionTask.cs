namespace CartCrossSell.Streams;

/// <summary>
/// The unit of work for one input partition: its processor, its stores, and how far it got. It is also the
/// processor's context, so a processor only ever sees its own partition's state.
/// </summary>
internal sealed class PartitionTask<T> : IProcessorContext
{
    private readonly Dictionary<string, ChangeloggedStoreBase> _stores;
    private readonly Action<PartitionTask<T>, string, string> _deadLetter;
    private readonly Action<string, string, byte[], DateTimeOffset> _send;

    public PartitionTask(string applicationId, string topologyName, int partition, IReadOnlyList<ChangeloggedStoreBase> stores,
        TimeProvider clock, Action<string, string, byte[], DateTimeOffset> send, Action<PartitionTask<T>, string, string> deadLetter)
    {
        ApplicationId = applicationId;
        TopologyName = topologyName;
        Partition = partition;
        Clock = clock;
        _send = send;
        _deadLetter = deadLetter;
        _stores = stores.ToDictionary(s => s.Name, StringComparer.Ordinal);
        // Writes made while flushing (closed windows, throttled rows) are new work, never a replay of old input.
        foreach (var store in stores) store.CurrentOffset = () => Flushing ? long.MaxValue : Current.Offset;
    }

    public string ApplicationId { get; }
    public string TopologyName { get; }
    public int Partition { get; }
    public TimeProvider Clock { get; }
    public RecordCoordinates Current { get; set; }
    public string? CurrentKey { get; set; }
    public byte[]? CurrentPayload { get; set; }
    public IProcessor<T>? Processor { get; set; }

    /// <summary>True while the layer runs the processor's <see cref="IProcessor{T}.Flush"/>.</summary>
    public bool Flushing { get; set; }

    public void FlushProcessor()
    {
        Flushing = true;
        try
        {
            Processor?.Flush();
        }
        finally
        {
            Flushing = false;
        }
    }

    public IReadOnlyCollection<ChangeloggedStoreBase> Stores => _stores.Values;

    /// <summary>The last input offset processed (or skipped as already applied); -1 before the first.</summary>
    public long LastOffset { get; set; } = -1;

    /// <summary>The offset up to which the state, effects and outputs are flushed and the offset committed.</summary>
    public long CommittedThrough { get; set; } = -1;

    public bool HasProgress => LastOffset > CommittedThrough;

    /// <summary>
    /// Records at or below this offset are in every store already (restored after a restart): skip them. Fixed once
    /// the stores are restored, before the first record, so it is computed once, not per record.
    /// </summary>
    public long SkipThrough => _skipThrough ??= _stores.Count == 0 ? -1 : _stores.Values.Min(s => s.RestoredThrough);

    private long? _skipThrough;

    public IKeyValueStore<TValue> GetStore<TValue>(string name) where TValue : class =>
        _stores.TryGetValue(name, out var store)
            ? store as IKeyValueStore<TValue> ?? throw new InvalidOperationException($"store '{name}' does not hold {typeof(TValue).Name}")
            : throw new InvalidOperationException($"store '{name}' is not declared by topology '{TopologyName}'");

    public void Send(string topic, string key, byte[] value, DateTimeOffset timestamp) => _send(topic, key, value, timestamp);

    public void DeadLetter(string kind, string reason) => _deadLetter(this, kind, reason);
}
