using System.Diagnostics;
using System.Globalization;

namespace CartCrossSell.Load;

/// <summary>CPU time of the run's processes and of the whole machine at one moment (from /proc).</summary>
public sealed record CpuSample(long Timestamp, IReadOnlyDictionary<string, long> ProcessTicks, long MachineBusyTicks, long MachineTotalTicks);

/// <summary>
/// Where the two cores went during a phase: cores used by each process of the run (service groups, this driver with
/// the embedded broker, redis-server) and by everything else on the machine (other users), from the utime+stime of
/// /proc/{pid}/stat and the busy and idle jiffies of /proc/stat. The machine is shared, so this is what makes a
/// figure comparable with another run.
/// </summary>
public sealed class CpuAccounting
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly Dictionary<string, int> _processes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Track(string name, int pid)
    {
        lock (_gate) _processes[name] = pid;
    }

    public CpuSample Sample()
    {
        Dictionary<string, int> processes;
        lock (_gate) processes = new Dictionary<string, int>(_processes, StringComparer.Ordinal);
        var ticks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, pid) in processes)
            if (ProcessTicks(pid) is { } t) ticks[name] = t;
        var (busy, total) = MachineTicks();
        return new CpuSample(Stopwatch.GetTimestamp(), ticks, busy, total);
    }

    /// <summary>"recommender 0.71, driver 0.40, ..., other users 0.62, idle 0.05 (cores)".</summary>
    public static string Describe(CpuSample before, CpuSample after)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        if (seconds <= 0) return "n/a";
        var parts = new List<string>();
        double ours = 0;
        foreach (var (name, t) in after.ProcessTicks)
        {
            if (!before.ProcessTicks.TryGetValue(name, out var b)) b = 0; // started during the interval
            var cores = (t - b) / TicksPerSecond / seconds;
            ours += cores;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {cores:0.00}"));
        }
        var total = after.MachineTotalTicks - before.MachineTotalTicks;
        if (total > 0)
        {
            var busyCores = (double)(after.MachineBusyTicks - before.MachineBusyTicks) / total * Environment.ProcessorCount;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"everything else on the machine {Math.Max(0, busyCores - ours):0.00}"));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"idle {Environment.ProcessorCount - busyCores:0.00}"));
        }
        return string.Join(", ", parts) + " (cores)";
    }

    private static long? ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static (long Busy, long Total) MachineTicks()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal guest guest_nice
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
            return (busy, busy + f[3] + f[4]);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return (0, 0);
        }
    }
}
