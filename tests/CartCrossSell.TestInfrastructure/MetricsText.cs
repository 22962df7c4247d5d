namespace CartCrossSell.TestInfrastructure;

/// <summary>A registry's metrics as Prometheus text, as an operator's scrape would read them.</summary>
public static class MetricsText
{
    public static async Task<string> OfAsync(Prometheus.CollectorRegistry registry)
    {
        using var text = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }
}
