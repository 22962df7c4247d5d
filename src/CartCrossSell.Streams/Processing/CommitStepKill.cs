using System.Diagnostics;
using System.Reflection;
using Confluent.Kafka;

namespace CartCrossSell.Streams.Processing;

/// <summary>
/// The steps of a task's at-least-once commit on Streamiz, as this project's stores see them: Kafka Streams flushes the
/// task's stores (each writes the interval's changes to its changelog, the effect barrier waits for the Redis writes),
/// then flushes the producer, then commits the input offsets. The outputs of the interval were sent while processing.
/// </summary>
public enum CommitStep
{
    /// <summary>A store is about to write the interval's changes: none of them is in its changelog.</summary>
    StateFlushing,

    /// <summary>A store has handed its changes to the producer; the offsets are not committed.</summary>
    StateFlushed,

    /// <summary>Every effect issued so far (the Redis writes) is durable; the offsets are not committed.</summary>
    EffectsDurable,

    /// <summary>
    /// The producer has flushed (the changelogs and outputs of the interval are in Kafka) and the input offsets are
    /// about to be committed: restarted, a task reads again what its restored state already holds.
    /// </summary>
    OffsetsCommitting,

    /// <summary>A commit has completed, offsets included: the next record processed.</summary>
    Committed,
}

/// <summary>
/// Fault injection for the crash tests (<c>CommitStepCrashTests</c>): a process started with the environment variable
/// <c>CARTXSELL_TEST_KILL_AT=step:n</c> (say <c>StateFlushed:3</c>) sends itself SIGKILL the n-th time one of its tasks
/// reaches that step of a commit, counted from the process's first processed record on: no close, no further flush,
/// nothing written after it, as a machine that dies there.
/// Random-time SIGKILLs rarely land between two steps of a commit that takes milliseconds; this lands there every time.
/// Unset, as in every deployment, a call is one read of a field set at start.
/// </summary>
public static class CommitStepKill
{
    public const string Variable = "CARTXSELL_TEST_KILL_AT";

    private static readonly (CommitStep Step, int Occurrence)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _reached;
    private static int _flushedSinceLastRecord;
    private static int _processedAny;

    /// <summary>Whether this process was started to be killed at a commit step.</summary>
    public static bool IsArmed => Armed is not null;

    /// <summary>"step:n" (n at least 1), or null when unset; anything else stops the process at start with the reason.</summary>
    public static (CommitStep Step, int Occurrence)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Split(':');
        if (parts.Length == 2 && Enum.TryParse<CommitStep>(parts[0], ignoreCase: false, out var step) && Enum.IsDefined(step)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1)
            return (step, n);
        throw new ArgumentException($"{Variable} must be 'step:n' with a step of {string.Join(", ", Enum.GetNames<CommitStep>())} and n >= 1, not '{value}'");
    }

    /// <summary>A task reached <paramref name="step"/> of a commit.</summary>
    public static void Reached(CommitStep step)
    {
        if (Armed is not { } armed) return;
        if (step is CommitStep.StateFlushing or CommitStep.EffectsDurable or CommitStep.OffsetsCommitting) Volatile.Write(ref _flushedSinceLastRecord, 1);
        // Steps count from the process's first record on: before it, a commit is a rebalance's of tasks that have done
        // nothing (a group's second stream thread joining after the first revokes every task the first was given, and
        // each of their stores flushes), not the mid-stream commit the crash tests kill in.
        if (Volatile.Read(ref _processedAny) == 0) return;
        if (armed.Step != step || Interlocked.Increment(ref _reached) != armed.Occurrence) return;
        Console.Error.WriteLine($"{Variable}: killed at {step} ({armed.Occurrence})");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite); // the signal is on its way: nothing more of this thread runs
    }

    /// <summary>
    /// The stream thread's consumer, watched for its offset commits (<see cref="CommitStep.OffsetsCommitting"/>) when
    /// this process is armed; otherwise <paramref name="consumer"/> itself.
    /// </summary>
    public static IConsumer<byte[], byte[]> Watch(IConsumer<byte[], byte[]> consumer)
    {
        if (Armed is null) return consumer;
        var watched = DispatchProxy.Create<IConsumer<byte[], byte[]>, CommittingConsumer>();
        ((CommittingConsumer)(object)watched).Target = consumer;
        return watched;
    }

    /// <summary>Passes every call on; an offset commit reaches <see cref="CommitStep.OffsetsCommitting"/> first.</summary>
    public class CommittingConsumer : DispatchProxy
    {
        internal IConsumer<byte[], byte[]> Target { get; set; } = null!;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name == nameof(IConsumer<byte[], byte[]>.Commit)) Reached(CommitStep.OffsetsCommitting);
            try
            {
                return method.Invoke(Target, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }

    /// <summary>A record is about to be processed: the first one after a commit marks <see cref="CommitStep.Committed"/>.</summary>
    public static void Processing()
    {
        if (Armed is null) return;
        Volatile.Write(ref _processedAny, 1);
        if (Interlocked.Exchange(ref _flushedSinceLastRecord, 0) == 0) return;
        Reached(CommitStep.Committed);
    }
}
