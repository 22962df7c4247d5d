using CartCrossSell.Engine;
using CartCrossSell.Engine.Evaluation;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Ranking.Training;

namespace CartCrossSell.Topologies.Training;

/// <summary>What one training produced: a model and its report, or why there is none.</summary>
public sealed record TrainingOutcome(int Orders, TimeSpan Elapsed, RankingModel? Model, TrainingReport? Report, string? Failure, bool TooFewOrders)
{
    public static TrainingOutcome Trained(int orders, TimeSpan elapsed, RankingModel model, TrainingReport report) => new(orders, elapsed, model, report, null, false);
}

/// <summary>
/// One training at a time, off the stream thread: training takes tens of seconds, longer than a stream thread may go
/// without polling. The stream thread starts it from a snapshot and picks the outcome up at a later punctuation.
/// </summary>
public sealed class BackgroundTraining
{
    private readonly ICatalog? _catalog;
    // Never disposed: a training still running may read its token after it was cancelled (no timer, nothing to free).
    private CancellationTokenSource _cancel = new();
    private Task<TrainingOutcome>? _running;

    public BackgroundTraining(ICatalog? catalog) => _catalog = catalog;

    public bool IsRunning => _running is not null;

    /// <summary>Starts training on <paramref name="orders"/> (the trainer's validation slice is their newest part) against <paramref name="options"/>' model in service.</summary>
    public void Start(IReadOnlyList<EvalOrder> orders, RankerTrainerOptions options)
    {
        if (_running is not null) throw new InvalidOperationException("one training at a time");
        var token = _cancel.Token;
        _running = Task.Run(() => Train(orders, _catalog, options, token), token);
    }

    /// <summary>The outcome of the training started last, once it has finished; null while it runs or when none was started.</summary>
    public TrainingOutcome? TakeFinished()
    {
        if (_running is not { IsCompleted: true } done) return null;
        _running = null;
        return done.IsCompletedSuccessfully ? done.Result : new TrainingOutcome(0, TimeSpan.Zero, null, null, done.IsCanceled ? "cancelled" : done.Exception?.GetBaseException().Message, false);
    }

    private static TrainingOutcome Train(IReadOnlyList<EvalOrder> orders, ICatalog? catalog, RankerTrainerOptions options, CancellationToken token)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (model, report) = RankerTrainer.Train(orders, catalog, options, cancellationToken: token);
            return TrainingOutcome.Trained(orders.Count, watch.Elapsed, model, report);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("not enough orders", StringComparison.Ordinal))
        {
            return new TrainingOutcome(orders.Count, watch.Elapsed, null, null, e.Message, TooFewOrders: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            return new TrainingOutcome(orders.Count, watch.Elapsed, null, null, $"{e.GetType().Name}: {e.Message}", false);
        }
    }

    /// <summary>Stops a running training at its next check (the task is closing: a new owner trains again).</summary>
    public void Cancel()
    {
        _cancel.Cancel();
        _cancel = new CancellationTokenSource();
        _running = null;
    }
}
