using System.Globalization;

namespace CartCrossSell.Topologies.Training;

/// <summary>What admitting one order to the sample changes: the key to store it under (none for a duplicate or an order older than a full sample) and the keys to delete.</summary>
public sealed record SampleChange(string OrderId, string? Added, IReadOnlyList<string> Evicted)
{
    public bool Changes => Added is not null || Evicted.Count > 0;
}

/// <summary>
/// The index of the trainer's bounded sample: the keys of the most recent <see cref="Capacity"/> orders, ordered by the
/// order's own time. A key is <c>{unix ms, 15 digits}|{orderId}</c>, so the store's key order is time order and an
/// order id is known from its key alone (the store holds nothing else). An order id already in the sample is a
/// duplicate and changes nothing; once the sample is full, each new order evicts the oldest.
/// </summary>
/// <remarks>
/// Planning and applying are separate so the processor writes its store first and changes the index only when the
/// store took the change: a failure half-way leaves both as they were.
/// </remarks>
public sealed class OrderSample(int capacity)
{
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keyOfOrder = new(StringComparer.Ordinal);

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "must be positive");

    public int Count => _keys.Count;

    public bool Contains(string orderId) => _keyOfOrder.ContainsKey(orderId);

    /// <summary>The keys, oldest first.</summary>
    public IEnumerable<string> Keys => _keys;

    public static string KeyOf(string orderId, DateTimeOffset at) =>
        Math.Max(0, at.ToUnixTimeMilliseconds()).ToString("D15", CultureInfo.InvariantCulture) + "|" + orderId;

    public static string OrderIdOf(string key) =>
        key.Length > 16 && key[15] == '|' ? key[16..] : throw new FormatException($"'{key}' is not a sample key");

    /// <summary>What admitting the order would change; nothing changes until <see cref="Apply"/>.</summary>
    public SampleChange Plan(string orderId, DateTimeOffset at)
    {
        if (_keyOfOrder.ContainsKey(orderId)) return new SampleChange(orderId, null, []);
        var key = KeyOf(orderId, at);
        var overflow = _keys.Count + 1 - Capacity;
        if (overflow <= 0) return new SampleChange(orderId, key, []);
        // The oldest of the sample and the new order leave: the new one itself when it is older than all of them.
        var oldest = _keys.Take(overflow).ToList();
        if (string.CompareOrdinal(key, oldest[^1]) < 0) return new SampleChange(orderId, null, oldest.Take(overflow - 1).ToList());
        return new SampleChange(orderId, key, oldest);
    }

    public void Apply(SampleChange change)
    {
        foreach (var key in change.Evicted)
            if (_keys.Remove(key)) _keyOfOrder.Remove(OrderIdOf(key));
        if (change.Added is not null && _keys.Add(change.Added)) _keyOfOrder[change.OrderId] = change.Added;
    }

    /// <summary>Rebuilds the index from the keys of a restored store (a sample stored with a larger capacity is cut when the next order comes).</summary>
    public void Load(IEnumerable<string> keys)
    {
        _keys.Clear();
        _keyOfOrder.Clear();
        foreach (var key in keys)
            if (_keys.Add(key)) _keyOfOrder[OrderIdOf(key)] = key;
    }
}
