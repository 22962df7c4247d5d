namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The newest <see cref="Limit"/> records offered, by record timestamp (equal timestamps: the one offered later is
/// newer), kept as they came (undecoded) in a min-heap: each offer costs a comparison with the oldest kept, and a
/// heap step when it is newer. What a table whose storage keeps only its newest values anyway (the similar baskets)
/// needs from a bootstrap that reads its topic one partition after the other.
/// </summary>
public sealed class NewestRecords<TRecord>
{
    private readonly PriorityQueue<TRecord, (long Timestamp, long Sequence)> _kept;
    private long _offered;

    public NewestRecords(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _kept = new PriorityQueue<TRecord, (long, long)>(Math.Min(limit, 1 << 16));
    }

    public int Limit { get; }

    /// <summary>Records offered so far.</summary>
    public long Offered => _offered;

    /// <summary>Records kept (at most <see cref="Limit"/>).</summary>
    public int Count => _kept.Count;

    public void Offer(TRecord record, long timestamp)
    {
        var key = (timestamp, _offered++);
        if (_kept.Count < Limit) _kept.Enqueue(record, key);
        else if (_kept.TryPeek(out _, out var oldest) && oldest.CompareTo(key) < 0) _kept.EnqueueDequeue(record, key);
    }

    /// <summary>The kept records, oldest first (the order to apply them in), and nothing kept afterwards.</summary>
    public List<TRecord> TakeOldestFirst()
    {
        var records = new List<TRecord>(_kept.Count);
        while (_kept.TryDequeue(out var record, out _)) records.Add(record);
        return records;
    }
}
