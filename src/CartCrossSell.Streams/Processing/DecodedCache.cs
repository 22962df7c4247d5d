namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The unchanged values a <see cref="DecodedStore{TValue}"/> keeps decoded, bounded by weight (a row weighs its
/// neighbours, a cart one): two generations, each at most half the budget. A value found in the older generation
/// moves to the newer one; when the newer one is full it becomes the older one and the older one is dropped. So a
/// value read often stays decoded while a walk over a store larger than the budget passes through, and the held
/// weight never exceeds the budget. Cheaper than an LRU list: no bookkeeping on a hit in the newer generation.
/// </summary>
/// <remarks>
/// Why a weight, not a count: a learned row of a large shop holds hundreds of neighbours (some 90 bytes each decoded),
/// a cart a few lines; 20,000 rows per task held 1.1-1.4 GB in the learner of a 200,000-sku store.
/// </remarks>
public sealed class DecodedCache<TValue> where TValue : class
{
    private readonly long _generationWeight;
    private readonly Func<TValue, long> _weigh;
    private Dictionary<string, (TValue Value, long Weight)> _newer = new(StringComparer.Ordinal);
    private Dictionary<string, (TValue Value, long Weight)> _older = new(StringComparer.Ordinal);
    private long _newerWeight;
    private long _olderWeight;

    /// <param name="maxWeight">The budget, at least 2 (two generations of at least one each).</param>
    /// <param name="weigh">A value's weight, at least one.</param>
    public DecodedCache(long maxWeight, Func<TValue, long> weigh)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWeight, 2);
        _generationWeight = maxWeight / 2;
        _weigh = weigh;
    }

    /// <summary>What the held values weigh together (as weighed when they were added); never above the budget.</summary>
    public long Weight => _newerWeight + _olderWeight;

    public int Count => _newer.Count + _older.Count;

    public bool TryGet(string key, out TValue value)
    {
        if (_newer.TryGetValue(key, out var held))
        {
            value = held.Value;
            return true;
        }
        if (_older.Remove(key, out held))
        {
            _olderWeight -= held.Weight;
            Keep(key, held.Value, held.Weight);
            value = held.Value;
            return true;
        }
        value = null!;
        return false;
    }

    /// <summary>Keeps a value (replacing what the key held); a value heavier than a generation is not kept.</summary>
    public void Add(string key, TValue value)
    {
        Remove(key);
        var weight = Math.Max(1, _weigh(value));
        if (weight <= _generationWeight) Keep(key, value, weight);
    }

    public void Remove(string key)
    {
        if (_newer.Remove(key, out var held)) _newerWeight -= held.Weight;
        else if (_older.Remove(key, out held)) _olderWeight -= held.Weight;
    }

    public void Clear()
    {
        _newer.Clear();
        _older.Clear();
        _newerWeight = _olderWeight = 0;
    }

    private void Keep(string key, TValue value, long weight)
    {
        if (_newerWeight + weight > _generationWeight)
        {
            // The newer generation is full: it becomes the older one, and what was older is dropped (its dictionary reused).
            _older.Clear();
            (_older, _newer) = (_newer, _older);
            _olderWeight = _newerWeight;
            _newerWeight = 0;
        }
        _newer[key] = (value, weight);
        _newerWeight += weight;
    }
}
