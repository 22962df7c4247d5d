using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartCrossSell.Web;

/// <summary>
/// The body of a health endpoint: the status, and for a check that is not healthy what it waits for (its
/// description), so an operator reading a 503 sees why without the logs: <c>Unhealthy: redis not connected</c>.
/// </summary>
public static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var waiting = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy && !string.IsNullOrWhiteSpace(e.Description))
            .Select(e => e.Description!).ToList();
        return context.Response.WriteAsync(waiting.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", waiting)}");
    }
}
