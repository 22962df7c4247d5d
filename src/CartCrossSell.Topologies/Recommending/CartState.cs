using CartCrossSell.Contracts;
using CartCrossSell.Engine;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>A live cart as the recommender keeps it (store <c>carts</c>): its lines, who owns it, and its value.</summary>
public sealed class CartState
{
    public required string CartId { get; init; }
    public required string SessionId { get; set; }
    public string Currency { get; set; } = "GBP";
    /// <summary>The shopper's country from the cart's events, when one said it.</summary>
    public string? Country { get; set; }
    public List<CartLine> Lines { get; init; } = [];
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// The session whose first cart view (its exposure) this cart has seen, and that view's visitor id: the cohort of
    /// every later value of the session is hashed from them, as the experiment's analysis hashes the exposure's ids, so
    /// a shopper who logs in after the first view, or a cart that still carries an earlier session's visitor, is measured
    /// in the cohort it was shown.
    /// </summary>
    public string? ExposureSessionId { get; set; }

    public string? ExposureVisitorId { get; set; }

    /// <summary>
    /// The newest time of a cart view or widget add of the exposure's session (the cart events the experiment's session
    /// windows count). A view or widget add at least <c>Experiment:InactivityGap</c> after it opens a new session window
    /// in the analysis, whose first view is its exposure, even under the same session id; so it does here
    /// (<see cref="Observe"/>).
    /// </summary>
    public DateTimeOffset? ExposureActiveAt { get; set; }

    /// <summary>
    /// Records a cart event of the current session for the exposure, before <see cref="UpdatedAt"/> takes the event's
    /// time. A view or widget add at least <paramref name="inactivityGap"/> after the session's last one opens a new
    /// window, as the analysis windows it: a view becomes the window's exposure; a widget add leaves the window without
    /// one until its first view (values answer with the event's own ids meanwhile, as before any view). Views and
    /// widget adds within the gap keep the window open.
    /// </summary>
    public void Observe(CartEvent e, TimeSpan inactivityGap)
    {
        var view = e.Type == CartEventType.CartViewed;
        if (!view && !(e.Type == CartEventType.ItemAdded && e.Source == EventSources.CrossSellWidget)) return;
        var sameSession = ExposureSessionId == e.SessionId;
        // A cart saved before this field existed: its last event's time stands in for the window's last activity.
        var active = ExposureActiveAt ?? (sameSession && UpdatedAt != default ? UpdatedAt : (DateTimeOffset?)null);
        var newWindow = !sameSession || (active is { } at && e.Timestamp - at >= inactivityGap);
        if (newWindow)
        {
            ExposureSessionId = view ? e.SessionId : null;
            ExposureVisitorId = view ? e.VisitorId : null;
            ExposureActiveAt = e.Timestamp;
            return;
        }
        if (active is not { } last || e.Timestamp > last) ExposureActiveAt = e.Timestamp;
    }

    /// <summary>
    /// The ids the cohort is hashed from for a value answering an event with <paramref name="visitorId"/> in the
    /// cart's current session: the exposure's once the session's first view was seen, the event's own before that.
    /// </summary>
    public (string? VisitorId, string SessionId) CohortSubject(string? visitorId) =>
        ExposureSessionId == SessionId ? (ExposureVisitorId, SessionId) : (visitorId, SessionId);

    /// <summary>Where the last applied event came from: an event at or below it is a replay and is not applied again.</summary>
    public int AppliedPartition { get; set; } = -1;

    public long AppliedOffset { get; set; } = -1;

    /// <summary>
    /// The version of the cart's last value, kept in the changelogged state (a replay gives the same numbers). -1
    /// before the first event. See <see cref="NextVersion"/>.
    /// </summary>
    public long Sequence { get; set; } = -1;

    /// <summary>
    /// The version of the value answering the event at <paramref name="offset"/>: the event's offset (so whoever
    /// published the event knows which value answers it: the web host's <c>valueVersion</c>), and one more than the last
    /// version when that is larger, so versions only grow with the cart's state. (A cart whose id hashes to another
    /// partition after <c>cart-events</c> gained partitions has no state there: README, "adding partitions".) A cart
    /// restored from a state written before the sequence existed continues from its applied offset.
    /// </summary>
    public long NextVersion(long offset)
    {
        if (Sequence < 0 && AppliedOffset >= 0) Sequence = AppliedOffset;
        return Sequence = Math.Max(Sequence + 1, offset);
    }

    /// <summary>The ids of the most recent events applied, oldest first (at most <c>Recommender:DeduplicationWindow</c>).</summary>
    public List<string> RecentEventIds { get; set; } = [];

    public bool HasApplied(string eventId) => RecentEventIds.Contains(eventId, StringComparer.Ordinal);

    /// <summary>Remembers an applied event's id, forgetting the oldest beyond <paramref name="window"/>.</summary>
    public void Remember(string eventId, int window)
    {
        if (window == 0) return;
        RecentEventIds.Add(eventId);
        if (RecentEventIds.Count > window) RecentEventIds.RemoveRange(0, RecentEventIds.Count - window);
    }

    public decimal Value => Lines.Sum(l => l.UnitPrice * l.Quantity);

    /// <summary>
    /// At least as many bytes as this cart takes encoded in its state record (<see cref="CartRecommenderTopology.CartCodec"/>),
    /// without encoding it: every character counted as the six bytes of a <c>\uXXXX</c> escape (the JSON writer escapes
    /// everything outside printable ASCII, and some ASCII too), every number and name at its longest. The recommender
    /// checks each change against <c>Streams:MaxStateRecordBytes</c> with this, and encodes only a cart this puts above it.
    /// </summary>
    public long EncodedBytesAtMost()
    {
        var bytes = 1024 + EncodedBound.Text(CartId) + EncodedBound.Text(SessionId) + EncodedBound.Text(ExposureSessionId)
            + EncodedBound.Text(ExposureVisitorId) + EncodedBound.Text(Currency) + EncodedBound.Text(Country);
        foreach (var line in Lines)
        {
            bytes += 256 + EncodedBound.Text(line.Sku) + EncodedBound.Text(line.VariantId) + EncodedBound.Text(line.Source);
            if (line.Attributes is { } attributes)
                foreach (var (name, value) in attributes) bytes += 8 + EncodedBound.Text(name) + EncodedBound.Text(value);
        }
        foreach (var id in RecentEventIds) bytes += 4 + EncodedBound.Text(id);
        return bytes;
    }

    /// <summary>A copy to change: the store hands out the value it holds, which must stay as it is until the event applies.</summary>
    public CartState Copy() => new()
    {
        CartId = CartId,
        SessionId = SessionId,
        Currency = Currency,
        Country = Country,
        Lines = Lines.Select(l => l.Copy()).ToList(),
        UpdatedAt = UpdatedAt,
        ExposureSessionId = ExposureSessionId,
        ExposureVisitorId = ExposureVisitorId,
        ExposureActiveAt = ExposureActiveAt,
        AppliedPartition = AppliedPartition,
        AppliedOffset = AppliedOffset,
        Sequence = Sequence,
        RecentEventIds = [.. RecentEventIds],
    };

    public Basket ToBasket() => new(Lines.Select(l => new BasketLine
    {
        Sku = l.Sku,
        VariantId = l.VariantId,
        Attributes = l.Attributes ?? new Dictionary<string, string>(),
        Quantity = l.Quantity,
        UnitPrice = l.UnitPrice,
        AddedAt = l.AddedAt,
    })) { Currency = Currency, Country = Country };
}

public sealed class CartLine
{
    public required string Sku { get; init; }
    public string? VariantId { get; init; }
    public Dictionary<string, string>? Attributes { get; init; }
    public int Quantity { get; set; }
    public decimal UnitPrice { get; set; }
    public DateTimeOffset AddedAt { get; init; }
    public string Source { get; init; } = EventSources.Storefront;

    public CartLine Copy() => new()
    {
        Sku = Sku, VariantId = VariantId, Attributes = Attributes, Quantity = Quantity, UnitPrice = UnitPrice, AddedAt = AddedAt, Source = Source,
    };
}
