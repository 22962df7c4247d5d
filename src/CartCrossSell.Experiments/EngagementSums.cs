namespace CartCrossSell.Experiments;

/// <summary>
/// The additive engagement state of one cohort in one window: counts only, so adding a session's engagement and
/// later subtracting it restores the previous value exactly (the same difference arithmetic as <see cref="CohortSums"/>).
/// Positions are fixed fields (the module has <see cref="SessionEngagement.Positions"/>), which keeps the struct a value.
/// </summary>
public readonly record struct EngagementSums(
    long Impressions,
    long ImpressedSessions,
    long WidgetAdds,
    long Clicks,
    long Position1Impressions,
    long Position2Impressions,
    long Position3Impressions,
    long Position1Clicks,
    long Position2Clicks,
    long Position3Clicks)
{
    public static EngagementSums Of(SessionEngagement e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new EngagementSums(e.Impressions, e.Impressions > 0 ? 1 : 0, e.WidgetAdds, e.Clicks,
            e.PositionImpressions[0], e.PositionImpressions[1], e.PositionImpressions[2],
            e.PositionClicks[0], e.PositionClicks[1], e.PositionClicks[2]);
    }

    /// <summary>Impressions that showed an add-on at <paramref name="position"/> (1-based).</summary>
    public long ImpressionsAt(int position) => position switch
    {
        1 => Position1Impressions, 2 => Position2Impressions, 3 => Position3Impressions,
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, $"Positions run from 1 to {SessionEngagement.Positions}."),
    };

    /// <summary>Credited clicks at <paramref name="position"/> (1-based).</summary>
    public long ClicksAt(int position) => position switch
    {
        1 => Position1Clicks, 2 => Position2Clicks, 3 => Position3Clicks,
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, $"Positions run from 1 to {SessionEngagement.Positions}."),
    };

    public static EngagementSums operator +(EngagementSums a, EngagementSums b) => new(
        a.Impressions + b.Impressions, a.ImpressedSessions + b.ImpressedSessions, a.WidgetAdds + b.WidgetAdds, a.Clicks + b.Clicks,
        a.Position1Impressions + b.Position1Impressions, a.Position2Impressions + b.Position2Impressions, a.Position3Impressions + b.Position3Impressions,
        a.Position1Clicks + b.Position1Clicks, a.Position2Clicks + b.Position2Clicks, a.Position3Clicks + b.Position3Clicks);

    public static EngagementSums operator -(EngagementSums a, EngagementSums b) => new(
        a.Impressions - b.Impressions, a.ImpressedSessions - b.ImpressedSessions, a.WidgetAdds - b.WidgetAdds, a.Clicks - b.Clicks,
        a.Position1Impressions - b.Position1Impressions, a.Position2Impressions - b.Position2Impressions, a.Position3Impressions - b.Position3Impressions,
        a.Position1Clicks - b.Position1Clicks, a.Position2Clicks - b.Position2Clicks, a.Position3Clicks - b.Position3Clicks);

    /// <summary>True when a retraction took something never added: a count below zero, or more clicks than showings.</summary>
    public bool IsInconsistent => Impressions < 0 || ImpressedSessions < 0 || WidgetAdds < 0 || Clicks < 0 || Clicks > WidgetAdds
                                  || Position1Clicks < 0 || Position2Clicks < 0 || Position3Clicks < 0
                                  || Position1Clicks > Position1Impressions || Position2Clicks > Position2Impressions || Position3Clicks > Position3Impressions;
}

/// <summary>
/// One row of an engagement table (an add-on, a model version): counts only, so <c>+</c> and <c>-</c> are exact
/// inverses. The table ranks rows by <see cref="Impressions"/>, then <see cref="Clicks"/>.
/// </summary>
public interface IEngagementRow<TSelf> where TSelf : struct, IEngagementRow<TSelf>
{
    long Impressions { get; }
    long Clicks { get; }

    /// <summary>True when some count is below zero: a retraction of something never added.</summary>
    bool IsNegative { get; }

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
}

/// <summary>One add-on's sums in one cohort and window.</summary>
public readonly record struct AddOnSums(long Impressions, long Clicks, long OrderedLines) : IEngagementRow<AddOnSums>
{
    public bool IsNegative => Impressions < 0 || Clicks < 0 || OrderedLines < 0;
    public static AddOnSums operator +(AddOnSums a, AddOnSums b) => new(a.Impressions + b.Impressions, a.Clicks + b.Clicks, a.OrderedLines + b.OrderedLines);
    public static AddOnSums operator -(AddOnSums a, AddOnSums b) => new(a.Impressions - b.Impressions, a.Clicks - b.Clicks, a.OrderedLines - b.OrderedLines);
}

/// <summary>One model version's sums in one cohort and window: impressions it ranked, add-ons they showed, clicks credited to those.</summary>
public readonly record struct ModelSums(long Impressions, long AddOnsShown, long Clicks) : IEngagementRow<ModelSums>
{
    public bool IsNegative => Impressions < 0 || AddOnsShown < 0 || Clicks < 0;
    public static ModelSums operator +(ModelSums a, ModelSums b) => new(a.Impressions + b.Impressions, a.AddOnsShown + b.AddOnsShown, a.Clicks + b.Clicks);
    public static ModelSums operator -(ModelSums a, ModelSums b) => new(a.Impressions - b.Impressions, a.AddOnsShown - b.AddOnsShown, a.Clicks - b.Clicks);
}

/// <summary>
/// Exact sums per key (a sku, a model version) of one cohort in one window, moved by the difference like the cohort
/// sums. Every key seen is kept (bounded by the catalog, or by the versions the trainer promotes); what is published
/// is bounded: the top keys by impressions and one "other" row (<see cref="Top"/>).
/// </summary>
public abstract class EngagementTable<TRow> where TRow : struct, IEngagementRow<TRow>
{
    private readonly Dictionary<string, TRow> _rows = new(StringComparer.Ordinal);

    public int Count => _rows.Count;

    public TRow this[string key] => _rows.GetValueOrDefault(key);

    /// <summary>What a key names, for errors ("add-on", "model version").</summary>
    protected abstract string KeyName { get; }

    /// <summary>Adds (or, with <paramref name="retract"/>, subtracts) one row's delta; a row back at zero is forgotten.</summary>
    protected void Apply(string key, TRow delta, bool retract)
    {
        var sums = retract ? this[key] - delta : this[key] + delta;
        if (sums.IsNegative) throw new InvalidOperationException($"Retraction of {KeyName} {key} takes its sums below zero.");
        if (EqualityComparer<TRow>.Default.Equals(sums, default)) _rows.Remove(key);
        else _rows[key] = sums;
    }

    /// <summary>The <paramref name="limit"/> keys with the most impressions (ties: more clicks, then key), and the sums and count of the rest.</summary>
    public (IReadOnlyList<(string Key, TRow Sums)> Top, TRow Other, int OtherKeys) Top(int limit)
    {
        var ranked = _rows.OrderByDescending(r => r.Value.Impressions).ThenByDescending(r => r.Value.Clicks)
            .ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        var top = ranked.Take(limit).Select(r => (r.Key, r.Value)).ToList();
        var other = ranked.Skip(limit).Aggregate(default(TRow), (sum, r) => sum + r.Value);
        return (top, other, Math.Max(0, ranked.Count - limit));
    }
}

/// <summary>Exact per-add-on sums of one cohort in one window (every sku shown, not only the published top).</summary>
public sealed class AddOnTable : EngagementTable<AddOnSums>
{
    protected override string KeyName => "add-on";

    /// <summary>Adds (or, with <paramref name="retract"/>, subtracts) one session's add-ons.</summary>
    public void Apply(SessionEngagement engagement, bool retract)
    {
        ArgumentNullException.ThrowIfNull(engagement);
        foreach (var a in engagement.AddOns) Apply(a.Sku, new AddOnSums(a.Impressions, a.Clicks, a.OrderedLines), retract);
    }
}

/// <summary>Exact per-model-version sums of one cohort in one window (every version that ranked an impression).</summary>
public sealed class ModelTable : EngagementTable<ModelSums>
{
    protected override string KeyName => "model version";

    /// <summary>Adds (or, with <paramref name="retract"/>, subtracts) one session's model versions.</summary>
    public void Apply(SessionEngagement engagement, bool retract)
    {
        ArgumentNullException.ThrowIfNull(engagement);
        foreach (var m in engagement.Models) Apply(m.ModelVersion, new ModelSums(m.Impressions, m.AddOnsShown, m.Clicks), retract);
    }
}

/// <summary>The keyed engagement detail of one cohort in one window: per add-on and per model version.</summary>
public sealed class EngagementTables
{
    public AddOnTable AddOns { get; } = new();
    public ModelTable Models { get; } = new();

    public void Apply(SessionEngagement engagement, bool retract)
    {
        AddOns.Apply(engagement, retract);
        Models.Apply(engagement, retract);
    }
}
