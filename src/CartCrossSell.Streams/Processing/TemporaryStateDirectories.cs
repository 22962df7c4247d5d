using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The state directories a stream group takes when <c>Streams:StateDirectory</c> is unset:
/// <c>{temp}/cartxsell-state-{pid}-{guid}</c>, deleted when the group stops. A process that is killed (a crash test's
/// SIGKILL, an OOM kill, a close that timed out) cannot delete its own, and every run of the test suite and of the
/// benchmarks left a few behind (8 KB to 8 MB each). So every start also deletes those whose process no longer runs.
/// </summary>
/// <remarks>
/// The process id is what tells an abandoned directory from a live one. A reused id keeps a dead process's directory
/// until that id is free again, which is harmless. The sweep assumes the temporary directory belongs to one machine's
/// processes, as <c>/tmp</c> does; a deployment that shares it between PID namespaces sets <c>Streams:StateDirectory</c>
/// (every deployment keeps its state on a volume of its own anyway: <c>deploy/kubernetes</c>).
/// </remarks>
public static class TemporaryStateDirectories
{
    public const string Prefix = "cartxsell-state-";

    /// <summary>A fresh directory name under <paramref name="root"/> for this process (not created).</summary>
    public static string NewPath(string root) =>
        Path.Combine(root, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");

    /// <summary>
    /// Deletes every <c>cartxsell-state-{pid}-*</c> directory under <paramref name="root"/> whose process is not
    /// running (by <paramref name="isRunning"/>, the operating system's process table unless given); returns how
    /// many. A directory that cannot be deleted (another user's, in use) is logged and left.
    /// </summary>
    public static int DeleteAbandoned(string root, ILogger log, Func<int, bool>? isRunning = null)
    {
        isRunning ??= IsRunning;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(root, Prefix + "*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        var deleted = 0;
        foreach (var directory in candidates)
        {
            if (OwnerOf(Path.GetFileName(directory)) is not { } pid || pid == Environment.ProcessId || isRunning(pid)) continue;
            if (IsLink(directory)) continue; // never ours (a stream group creates a directory), and /tmp is shared: leave it
            try
            {
                Directory.Delete(directory, recursive: true);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogDebug("temporary state {Directory} of the stopped process {Pid} not deleted: {Reason}", directory, pid, e.Message);
            }
        }
        if (deleted > 0) log.LogInformation("deleted {Count} temporary state directories of processes that no longer run", deleted);
        return deleted;
    }

    /// <summary>The process id in <c>cartxsell-state-{pid}-{guid}</c>, or null for any other name.</summary>
    public static int? OwnerOf(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var rest = name.AsSpan(Prefix.Length);
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid
            : null;
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new DirectoryInfo(path).LinkTarget is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) // no such process
        {
            return false;
        }
        catch (InvalidOperationException) // it exited while being looked at
        {
            return false;
        }
        catch (Exception) // cannot tell: keep its directory
        {
            return true;
        }
    }
}
