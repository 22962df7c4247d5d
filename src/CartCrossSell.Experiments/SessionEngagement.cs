namespace CartCrossSell.Experiments;

/// <summary>One add-on in one session: how often it was shown, clicked (one-click add from a showing) and ordered from the widget.</summary>
public sealed record AddOnEngagement(string Sku, int Impressions, int Clicks, int OrderedLines);

/// <summary>
/// One model version in one session: the impressions it ranked, the add-ons those impressions showed (their position
/// impressions) and the clicks credited to those showings. No ordered lines: an order line names a sku, not a showing,
/// and two versions may have shown the same sku to one session.
/// </summary>
public sealed record ModelEngagement(string ModelVersion, int Impressions, int AddOnsShown, int Clicks)
{
    /// <summary>The version of an impression that carried none (session events written before impressions had one).</summary>
    public const string Unknown = "(unknown)";
}

/// <summary>
/// What the cart-page module showed one session and what the shopper took from it (definitions: docs/experiments.md,
/// "Engagement"). Derived from the session's impressions, widget adds and orders each time the outcome is built, so
/// it is a function of the sets the window holds: arrival order, duplicates and replays do not change it.
/// </summary>
public sealed record SessionEngagement
{
    /// <summary>Positions the module has (the wire contract's maximum of skus per impression).</summary>
    public const int Positions = 3;

    /// <summary>
    /// Model versions and add-ons one session's engagement lists at most: the first shown (impressions in time order,
    /// skus in position order); the impressions, positions and clicks of the rest count in the session's totals only.
    /// Both are named by the widget's reports, not checked against anything, and the outcome carrying them must stay
    /// under what the aggregator reads (<c>Streams:MaxRecordBytes</c>, 64 KiB), or the session's figures are
    /// dead-lettered as a whole: with every name at its longest, 8 versions and 48 add-ons take about 52 KB. A shopper's
    /// session is ranked by one or two versions and shown a few dozen add-ons at most.
    /// </summary>
    public const int MaxModels = 8, MaxAddOns = 48;

    public static readonly SessionEngagement None = new();

    // The lists are set, not init, so a stored record missing one reads its default (dotnet/runtime#84484).

    /// <summary>Distinct value versions shown (cart id and version): one impression each, however often reported.</summary>
    public int Impressions { get; init; }

    /// <summary>Per position (index 0 is position 1): impressions that showed an add-on there.</summary>
    public IReadOnlyList<int> PositionImpressions { get; set; } = new int[Positions];

    /// <summary>Per position: shown add-ons clicked, each showing at most once.</summary>
    public IReadOnlyList<int> PositionClicks { get; set; } = new int[Positions];

    /// <summary>Every one-click add from the widget in the session, attributed or not.</summary>
    public int WidgetAdds { get; init; }

    /// <summary>Widget adds credited to a showing (the sum of <see cref="PositionClicks"/>); the rest matched no impression or repeated a credited one.</summary>
    public int Clicks { get; init; }

    /// <summary>Every sku shown in the session, ordinal order.</summary>
    public IReadOnlyList<AddOnEngagement> AddOns { get; set; } = [];

    /// <summary>Every model version that ranked an impression of the session, ordinal order; empty in outcomes written before the split.</summary>
    public IReadOnlyList<ModelEngagement> Models { get; set; } = [];

    public bool Equals(SessionEngagement? other) =>
        other is not null && Impressions == other.Impressions && WidgetAdds == other.WidgetAdds && Clicks == other.Clicks
        && PositionImpressions.SequenceEqual(other.PositionImpressions) && PositionClicks.SequenceEqual(other.PositionClicks)
        && AddOns.SequenceEqual(other.AddOns) && Models.SequenceEqual(other.Models);

    public override int GetHashCode() => HashCode.Combine(Impressions, WidgetAdds, Clicks, AddOns.Count);
}

/// <summary>
/// Attribution of one session's widget adds to what the module showed it. Rules: a widget add of sku s is credited to
/// the latest impression at or before it that showed s (else the earliest after it: the add can reach Kafka before
/// the widget's impression report), at the position s had there; a showing is credited at most once; an add of a sku
/// no impression showed is counted in <see cref="SessionEngagement.WidgetAdds"/> only. Ordered lines count for a sku
/// when the order line's source is the widget and the session was shown the sku. Per model version: the impressions it
/// ranked, their showings, and the clicks credited to those showings (so the versions' clicks sum to the session's,
/// unless the session was shown more than <see cref="SessionEngagement.MaxModels"/> versions: only the first are kept,
/// as only the first <see cref="SessionEngagement.MaxAddOns"/> skus).
/// </summary>
public static class EngagementAttribution
{
    public static SessionEngagement Of(IEnumerable<ImpressionShownEvent> impressions, IEnumerable<WidgetAddEvent> adds, IEnumerable<ExperimentOrderLine> orderLines)
    {
        var shown = impressions.OrderBy(i => i.Timestamp).ThenBy(i => i.CartId, StringComparer.Ordinal).ThenBy(i => i.ValueVersion).ToList();
        var clicks = adds.OrderBy(a => a.Timestamp).ThenBy(a => a.EventId, StringComparer.Ordinal).ToList();
        if (shown.Count == 0 && clicks.Count == 0) return SessionEngagement.None;

        var positionImpressions = new int[SessionEngagement.Positions];
        var positionClicks = new int[SessionEngagement.Positions];
        // Per sku: impressions, clicks, ordered lines.
        // Keys beyond the limit get no row (null): the first shown keep theirs, whatever arrives later.
        var skus = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        int[]? Counts(string sku) => skus.TryGetValue(sku, out var c) ? c : skus.Count < SessionEngagement.MaxAddOns ? skus[sku] = new int[3] : null;
        // Per model version: impressions, add-ons shown, clicks.
        var models = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        int[]? ModelCounts(ImpressionShownEvent i) =>
            models.TryGetValue(VersionOf(i), out var c) ? c : models.Count < SessionEngagement.MaxModels ? models[VersionOf(i)] = new int[3] : null;
        foreach (var impression in shown)
        {
            if (ModelCounts(impression) is { } model)
            {
                model[0]++;
                model[1] += impression.Skus.Count;
            }
            for (var p = 0; p < impression.Skus.Count; p++)
            {
                positionImpressions[p]++;
                if (Counts(impression.Skus[p]) is { } counts) counts[0]++;
            }
        }

        var credited = new HashSet<(int Impression, int Position)>();
        foreach (var add in clicks)
        {
            if (Showing(shown, add) is not { } showing || !credited.Add(showing)) continue;
            positionClicks[showing.Position]++;
            // A showing's sku and version were offered a row above: one without a row now had none then.
            if (skus.TryGetValue(add.Sku, out var counts)) counts[1]++;
            if (models.TryGetValue(VersionOf(shown[showing.Impression]), out var model)) model[2]++;
        }

        foreach (var line in orderLines)
            if (line.IsCrossSell && skus.TryGetValue(line.Sku, out var ordered))
                ordered[2]++;

        return new SessionEngagement
        {
            Impressions = shown.Count, PositionImpressions = positionImpressions, PositionClicks = positionClicks,
            WidgetAdds = clicks.Count, Clicks = credited.Count, AddOns = skus.Select(s => new AddOnEngagement(s.Key, s.Value[0], s.Value[1], s.Value[2])).ToArray(),
            Models = models.Select(m => new ModelEngagement(m.Key, m.Value[0], m.Value[1], m.Value[2])).ToArray(),
        };
    }

    // A blank version is a session event written before impressions carried one: its own row, not a hole in the split.
    private static string VersionOf(ImpressionShownEvent impression) =>
        string.IsNullOrWhiteSpace(impression.ModelVersion) ? ModelEngagement.Unknown : impression.ModelVersion;

    /// <summary>The showing an add is credited to: the latest impression at or before it that showed the sku, else the earliest after.</summary>
    private static (int Impression, int Position)? Showing(List<ImpressionShownEvent> shown, WidgetAddEvent add)
    {
        (int, int)? after = null;
        for (var i = shown.Count - 1; i >= 0; i--)
        {
            var position = IndexOf(shown[i].Skus, add.Sku);
            if (position < 0) continue;
            if (shown[i].Timestamp <= add.Timestamp) return (i, position);
            after = (i, position);
        }
        return after;
    }

    private static int IndexOf(IReadOnlyList<string> skus, string sku)
    {
        for (var i = 0; i < skus.Count; i++)
            if (string.Equals(skus[i], sku, StringComparison.Ordinal)) return i;
        return -1;
    }
}
