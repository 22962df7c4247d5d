namespace CartCrossSell.Topologies.Training;

/// <summary>
/// When the trainer trains: once <c>EveryOrders</c> new orders entered the sample or <c>Every</c> passed since the last
/// training started, whichever comes first, never while one is running. The count of new orders is not persisted: after
/// a restart the period runs from the start.
/// </summary>
public sealed class TrainingSchedule(int everyOrders, TimeSpan every, DateTimeOffset start)
{
    private DateTimeOffset _lastStart = start;

    /// <summary>Orders that entered the sample since the last training started.</summary>
    public int NewOrders { get; private set; }

    public bool Running { get; private set; }

    public void OrderAdded() => NewOrders++;

    public bool IsDue(DateTimeOffset now) => !Running && NewOrders > 0 && (NewOrders >= everyOrders || now - _lastStart >= every);

    public void Started(DateTimeOffset now)
    {
        Running = true;
        _lastStart = now;
        NewOrders = 0;
    }

    public void Finished() => Running = false;
}
