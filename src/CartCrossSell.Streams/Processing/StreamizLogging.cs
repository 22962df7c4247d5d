using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The logger factory handed to Streamiz. Streamiz keeps the factory of the last <c>StreamConfig</c> in a static field
/// and uses it for every topology built afterwards in the process, so a host (or a test) that disposed its factory
/// would make the next <c>StreamBuilder</c> throw. This guard never disposes the host's factory and answers with a
/// null logger once that factory is gone.
/// </summary>
internal sealed class StreamizLogging(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        try
        {
            return inner.CreateLogger(categoryName);
        }
        catch (ObjectDisposedException)
        {
            return NullLogger.Instance;
        }
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The host owns the factory.
    }
}
