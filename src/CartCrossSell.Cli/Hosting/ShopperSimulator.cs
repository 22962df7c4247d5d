using System.Diagnostics;
using CartCrossSell.Contracts;
using CartCrossSell.OrderHistory;
using CartCrossSell.Redis;
using CartCrossSell.Simulation;

namespace CartCrossSell.Cli.Hosting;

/// <summary>How many sessions, how fast, and how the shoppers behave (docs/simulation.md).</summary>
public sealed record SimulatorOptions
{
    public long Seed { get; init; } = 42;
    /// <summary>Stop after this many sessions (null: only <see cref="Duration"/> stops the run).</summary>
    public int? Sessions { get; init; } = 1_000;
    /// <summary>Stop starting sessions after this long (null: only <see cref="Sessions"/> stops the run).</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>New sessions per second; 0 starts them as fast as <see cref="Concurrency"/> allows.</summary>
    public double SessionsPerSecond { get; init; }
    /// <summary>Shoppers on the site at once.</summary>
    public int Concurrency { get; init; } = 100;
    /// <summary>How long the cart page waits for the value that answers its view before it renders what is there.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);
    public ShopperBehaviour Behaviour { get; init; } = new();
    /// <summary>Keep this many finished treatment sessions that took a wanted add-on with one click, for printing.</summary>
    public int Examples { get; init; } = 3;

    public void Validate()
    {
        if (Sessions is null && Duration is null) throw new ArgumentException("give a session count, a duration, or both");
        if (Sessions is <= 0) throw new ArgumentOutOfRangeException(nameof(Sessions), Sessions, "must be positive");
        if (Duration is { } d && d <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Duration), Duration, "must be positive");
        if (SessionsPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(SessionsPerSecond), SessionsPerSecond, "must not be negative");
        if (Concurrency <= 0) throw new ArgumentOutOfRangeException(nameof(Concurrency), Concurrency, "must be positive");
        Behaviour.Validate();
    }
}

public sealed record SimulationProgress(int Started, int Finished, int? Target, long EventsPublished);

public sealed record SimulationResult(SimulationTally Tally, IReadOnlyList<ShopperSession> Examples, TimeSpan Elapsed, long EventsPublished);

/// <summary>
/// Drives simulated shoppers against the real pipeline: cart events and orders into Kafka, the cart page's value
/// read from Redis exactly as a storefront reads it (the holdout's value is empty, so the holdout sees nothing).
/// Every draw comes from the seed; what the module shows comes from the service.
/// </summary>
public sealed class ShopperSimulator(StorefrontCarts storefront, RecommendationStore store, IReadOnlyList<ShopperBasket> baskets,
    SimulatorOptions options, Func<string, bool>? needsFitDecision = null, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private long _events;

    /// <summary>The baskets the simulator replays: orders with 3 to 10 distinct products, each product once, in file order.</summary>
    public static IReadOnlyList<ShopperBasket> BasketsFrom(IEnumerable<HistoricalOrder> orders, int minLines = 3, int maxLines = 10) =>
        orders.Select(o => new ShopperBasket(o.OrderId, o.Lines.DistinctBy(l => l.Sku).Where(l => l.UnitPrice > 0)
                .Select(l => new BasketLine(l.Sku, l.VariantId, l.UnitPrice)).ToArray()))
            .Where(b => b.Lines.Count >= minLines && b.Lines.Count <= maxLines)
            .ToArray();

    public async Task<SimulationResult> RunAsync(IProgress<SimulationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (baskets.Count == 0) throw new InvalidOperationException("no baskets to simulate (the orders file has no order with 3 to 10 products)");
        var tally = new SimulationTally();
        var examples = new List<ShopperSession>();
        var gate = new SemaphoreSlim(options.Concurrency);
        var running = new List<Task>();
        var elapsed = Stopwatch.StartNew();
        int started = 0, finished = 0;
        for (var n = 0; ; n++)
        {
            if (options.Sessions is { } count && n >= count) break;
            if (options.Duration is { } limit && elapsed.Elapsed >= limit) break;
            if (options.SessionsPerSecond > 0)
            {
                var due = TimeSpan.FromSeconds(n / options.SessionsPerSecond) - elapsed.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
            }
            await gate.WaitAsync(cancellationToken);
            var plan = SessionPlanner.Plan(options.Seed, n, baskets, options.Behaviour);
            started++;
            running.Add(RunOneAsync(plan));
            running.RemoveAll(t => t.IsCompletedSuccessfully);
            if (running.FirstOrDefault(t => t.IsFaulted) is { } failed) await failed;
        }
        await Task.WhenAll(running);
        await storefront.FlushAsync(cancellationToken);
        progress?.Report(new SimulationProgress(started, finished, options.Sessions, Interlocked.Read(ref _events)));
        return new SimulationResult(tally, examples, elapsed.Elapsed, Interlocked.Read(ref _events));

        async Task RunOneAsync(SessionPlan plan)
        {
            try
            {
                var session = await RunSessionAsync(plan, cancellationToken);
                lock (tally)
                {
                    tally.Add(session);
                    finished++;
                    if (examples.Count < options.Examples && session.Cohort == Cohorts.Treatment && session.Considered.Any(c => c.Accepted && c.Wanted))
                        examples.Add(session);
                    progress?.Report(new SimulationProgress(started, finished, options.Sessions, Interlocked.Read(ref _events)));
                }
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task<ShopperSession> RunSessionAsync(SessionPlan plan, CancellationToken ct)
    {
        var session = new ShopperSession(plan, options.Behaviour, needsFitDecision);
        for (var step = 0; !session.Finished; step++)
        {
            var eventId = $"{plan.SessionId}/{step}";
            switch (session.Next())
            {
                case AddToCart add:
                    Publish(new CartEvent
                    {
                        EventId = eventId, Type = CartEventType.ItemAdded, CartId = plan.CartId, SessionId = plan.SessionId, VisitorId = plan.VisitorId,
                        Sku = add.Line.Sku, VariantId = add.Line.VariantId, Quantity = add.Line.Quantity, UnitPrice = add.Line.UnitPrice,
                        Timestamp = _clock.GetUtcNow(), Source = add.Line.Source,
                    });
                    break;
                case ViewCart:
                    var view = Publish(new CartEvent
                    {
                        EventId = eventId, Type = CartEventType.CartViewed, CartId = plan.CartId, SessionId = plan.SessionId, VisitorId = plan.VisitorId,
                        Timestamp = _clock.GetUtcNow(), Source = EventSources.Simulator,
                    });
                    // The cart page waits briefly for the value answering this view, then renders what the key holds;
                    // a stale or missing value is counted, not hidden.
                    var (value, fresh) = await store.ReadAnsweringAsync(plan.CartId, view.Timestamp, options.ReadTimeout, options.PollInterval, ct);
                    session.Shown(value, fresh);
                    // The module rendered the list, so it reports the impression, as the widget does for a real page.
                    if (value is { AddOns.Count: > 0 })
                    {
                        storefront.Showed(new CrossSellImpression
                        {
                            EventId = eventId + "/shown", CartId = plan.CartId, SessionId = plan.SessionId, VisitorId = plan.VisitorId, ValueVersion = value.Version,
                            Skus = value.AddOns.Take(ContractValidation.MaxImpressionSkus).Select(a => a.Sku).ToArray(),
                            ModelVersion = value.ModelVersion ?? value.Strategy, Timestamp = _clock.GetUtcNow(),
                        });
                        Interlocked.Increment(ref _events);
                    }
                    break;
                case PlaceOrder order:
                    var completed = new OrderCompleted
                    {
                        EventId = eventId, OrderId = plan.OrderId, CartId = plan.CartId, SessionId = plan.SessionId, VisitorId = plan.VisitorId,
                        Timestamp = _clock.GetUtcNow(),
                        Lines = order.Lines.Select(l => new OrderLine { Sku = l.Sku, VariantId = l.VariantId, Quantity = l.Quantity, UnitPrice = l.UnitPrice, Source = l.Source }).ToList(),
                    };
                    storefront.PlaceOrder(completed);
                    Interlocked.Increment(ref _events);
                    break;
                case LeaveCart:
                    break;
            }
        }
        return session;
    }

    private CartEvent Publish(CartEvent e)
    {
        Interlocked.Increment(ref _events);
        return storefront.Publish(e);
    }
}
