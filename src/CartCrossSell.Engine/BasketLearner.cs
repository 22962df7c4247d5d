namespace CartCrossSell.Engine;

/// <summary>Options of the co-occurrence learner.</summary>
public sealed record LearningOptions
{
    /// <summary>Half-life of the exponential decay of evidence. Default 30 days.</summary>
    public TimeSpan HalfLife { get; init; } = TimeSpan.FromDays(30);

    /// <summary>At most this many neighbours are kept per row (the strongest). Default 150.</summary>
    public int MaxNeighbors { get; init; } = 150;

    public DateTimeOffset Landmark { get; init; } = DecayClock.DefaultLandmark;
}

/// <summary>
/// Learns what is bought together from completed orders, in memory: item and category rows with decayed weights.
/// The streaming learner keeps the same rows partitioned across instances; this one serves evaluation, batch
/// recommendation and tests. Not thread-safe for writes.
/// </summary>
public sealed class BasketLearner : IBasketEvidence
{
    private readonly Dictionary<string, EvidenceAccumulator> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EvidenceRow> _snapshot = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);

    public BasketLearner(LearningOptions? options = null)
    {
        Options = options ?? new LearningOptions();
        Clock = new DecayClock(Options.HalfLife, Options.Landmark);
    }

    public LearningOptions Options { get; }
    public DecayClock Clock { get; }
    public double Baskets { get; private set; }
    public int RowCount => _rows.Count;

    public void AddOrder(IReadOnlyCollection<string> skus, DateTimeOffset at, Func<string, string?>? leafCategoryOf = null)
    {
        foreach (var c in BasketSplitter.Split(skus, leafCategoryOf ?? (_ => null), Clock.WeightAt(at)))
            Apply(c);
    }

    public void Apply(RowContribution contribution)
    {
        if (contribution.RowKey == RowKeys.Baskets)
        {
            Baskets += contribution.Weight;
            return;
        }
        if (!_rows.TryGetValue(contribution.RowKey, out var acc))
            _rows[contribution.RowKey] = acc = new EvidenceAccumulator(contribution.RowKey, Options.MaxNeighbors);
        acc.Apply(contribution.Weight, contribution.Pairs);
        _dirty.Add(contribution.RowKey);
    }

    public EvidenceRow? Find(string rowKey)
    {
        if (_dirty.Remove(rowKey) && _rows.TryGetValue(rowKey, out var acc))
            _snapshot[rowKey] = acc.ToRow();
        return _snapshot.GetValueOrDefault(rowKey);
    }

    public IEnumerable<string> RowKeysLearned => _rows.Keys;
}
