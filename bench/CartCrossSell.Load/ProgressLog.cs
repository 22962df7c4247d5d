using System.Diagnostics;

namespace CartCrossSell.Load;

/// <summary>Plain progress lines with the run's elapsed time, so a slow phase is visible while it runs.</summary>
public sealed class ProgressLog(TextWriter output)
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly Lock _gate = new();

    public TimeSpan Elapsed => _elapsed.Elapsed;

    public void Line(string message)
    {
        lock (_gate) output.WriteLine($"[{Clock(_elapsed.Elapsed)}] {message}");
    }

    /// <summary>Minutes and seconds, the minutes counted on past an hour (mm\:ss started again at 00:00 after 59:59).</summary>
    public static string Clock(TimeSpan elapsed) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(long)elapsed.TotalMinutes:00}:{elapsed.Seconds:00}");

    /// <summary>The load average now (first three fields of /proc/loadavg): the machine is shared.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
