using System.Diagnostics;

namespace CartCrossSell.Load;

/// <summary>What an open-loop producer phase published.</summary>
public sealed record ProducerReport(long Events, TimeSpan Duration, TimeSpan MaxBehindSchedule)
{
    public double EventsPerSecond => Events / Math.Max(Duration.TotalSeconds, 1e-9);
}

/// <summary>
/// Open loop: event i is due at start + i / rate whatever the service does, as storefront traffic does not wait for
/// the recommender. Runs on its own thread, waking every millisecond to publish what is due. If this process falls
/// behind (a busy machine), the delay is reported; events are stamped when they are published, so a late producer
/// does not count against the service's freshness.
/// </summary>
public static class FixedRateProducer
{
    public static Task<ProducerReport> RunAsync(CartTraffic traffic, double rate, TimeSpan duration, CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(traffic, rate, duration, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static ProducerReport Run(CartTraffic traffic, double rate, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long published = 0;
        var maxBehind = TimeSpan.Zero;
        var total = (long)(rate * duration.TotalSeconds);
        while (published < total && !ct.IsCancellationRequested)
        {
            var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            if (due > published)
            {
                var behind = clock.Elapsed - TimeSpan.FromSeconds((published + 1) / rate);
                if (behind > maxBehind) maxBehind = behind;
            }
            while (published < due)
            {
                traffic.PublishNext();
                published++;
            }
            Thread.Sleep(1);
        }
        return new ProducerReport(published, clock.Elapsed, maxBehind);
    }
}
