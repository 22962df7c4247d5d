namespace CartCrossSell.Topologies.Training;

/// <summary>
/// The models a trainer promoted that its <c>ranking-models</c> global store may not have read yet: the next training
/// must be judged against the newest of them, not against the store's older model in service. The store counts the
/// serving records it reads (<c>ModelTable.ServingChanges</c>); once it has read as many as were in flight when the
/// newest one was sent, it knows better (the newest one, or whatever an operator published after it), and is asked
/// instead. Counting instead of comparing versions: a store lagging behind would otherwise take a rollback to the
/// predecessor for itself lagging. Two promotions before the store reads the first (a store lagging by a whole
/// training) each count: the store is caught up only once it has read both. Not thread-safe: the trainer's stream thread owns it.
/// </summary>
public sealed class UnreadPublications<TModel> where TModel : class
{
    private TModel? _newest;
    private long _readWhenSent;
    private long _inFlightWhenSent;

    /// <summary>A model promoted while the store had read <paramref name="servingChanges"/> serving records.</summary>
    public void Promoted(TModel model, long servingChanges)
    {
        // The earlier promotions the store has not read yet are still on their way, before this one.
        var stillInFlight = _newest is null ? 0 : Math.Max(0, _inFlightWhenSent - (servingChanges - _readWhenSent));
        _newest = model;
        _readWhenSent = servingChanges;
        _inFlightWhenSent = stillInFlight + 1;
    }

    /// <summary>
    /// The model in service: the newest promotion while the store has not read every serving record in flight when it
    /// was sent, else the store's (<paramref name="storeServing"/>, read with its count <paramref name="servingChanges"/>).
    /// </summary>
    public TModel? InService(long servingChanges, TModel? storeServing)
    {
        if (_newest is { } newest && servingChanges - _readWhenSent < _inFlightWhenSent) return newest;
        _newest = null;
        return storeServing;
    }
}
