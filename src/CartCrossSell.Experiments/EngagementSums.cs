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

/// <summary>One add-on's sums in one cohort and window.</summary>
public readonly record struct AddOnSums(long Impressions, long Clicks, long OrderedLines)
{
    public static AddOnSums operator +(AddOnSums a, AddOnSums b) => new(a.Impressions + b.Impressions, a.Clicks + b.Clicks, a.OrderedLines + b.OrderedLines);
    public static AddOnSums operator -(AddOnSums a, AddOnSums b) => new(a.Impressions - b.Impressions, a.Clicks - b.Clicks, a.OrderedLines - b.OrderedLines);
}

/// <summary>
/// Exact per-add-on sums of one cohort in one window, moved by the difference like the cohort sums. Every sku shown
/// is kept here (bounded by the catalog); what is published is bounded: the top skus by impressions and one "other"
/// row (<see cref="Top"/>).
/// </summary>
public sealed class AddOnTable
{
    private readonly Dictionary<string, AddOnSums> _skus = new(StringComparer.Ordinal);

    public int Count => _skus.Count;

    public AddOnSums this[string sku] => _skus.GetValueOrDefault(sku);

    /// <summary>Adds (or, with <paramref name="retract"/>, subtracts) one session's add-ons; a sku back at zero is forgotten.</summary>
    public void Apply(SessionEngagement engagement, bool retract)
    {
        ArgumentNullException.ThrowIfNull(engagement);
        foreach (var a in engagement.AddOns)
        {
            var delta = new AddOnSums(a.Impressions, a.Clicks, a.OrderedLines);
            var sums = retract ? this[a.Sku] - delta : this[a.Sku] + delta;
            if (sums.Impressions < 0 || sums.Clicks < 0 || sums.OrderedLines < 0)
                throw new InvalidOperationException($"Retraction of add-on {a.Sku} takes its sums below zero.");
            if (sums == default) _skus.Remove(a.Sku);
            else _skus[a.Sku] = sums;
        }
    }

    /// <summary>The <paramref name="limit"/> skus with the most impressions (ties: more clicks, then sku), and the sums and count of the rest.</summary>
    public (IReadOnlyList<(string Sku, AddOnSums Sums)> Top, AddOnSums Other, int OtherSkus) Top(int limit)
    {
        var ranked = _skus.OrderByDescending(s => s.Value.Impressions).ThenByDescending(s => s.Value.Clicks)
            .ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
        var top = ranked.Take(limit).Select(s => (s.Key, s.Value)).ToList();
        var other = ranked.Skip(limit).Aggregate(default(AddOnSums), (sum, s) => sum + s.Value);
        return (top, other, Math.Max(0, ranked.Count - limit));
    }
}
