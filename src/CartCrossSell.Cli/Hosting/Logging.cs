using Microsoft.Extensions.Logging;

namespace CartCrossSell.Cli.Hosting;

/// <summary>Structured console logs: one line per event, timestamps in UTC.</summary>
public static class Logging
{
    public static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddFilter("CartCrossSell", minimum)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));
}
