using CartCrossSell.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Web;

/// <summary>Keeps a topic replicated in memory (latest value per key) for as long as the host runs; a failed read is retried.</summary>
public abstract class TableFeed<T>(GlobalTable<T> table, ILogger log) : BackgroundService where T : class
{
    public GlobalTable<T> Table => table;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await table.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("reading {Topic} failed, retrying in 5 s: {Reason}", table.Topic, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
