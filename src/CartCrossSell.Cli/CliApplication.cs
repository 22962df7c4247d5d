using System.CommandLine;
using Confluent.Kafka;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli;

/// <summary>The <c>cartxsell</c> root command: one sub-command per operator task, each in its own file.</summary>
public static class CliApplication
{
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("cartxsell: basket-aware cart-page cross-sells from Kafka into Redis");
        root.Add(Commands.RunCommand.Build());
        root.Add(Commands.ServeCommand.Build());
        root.Add(Commands.DemoCommand.Build());
        root.Add(Commands.BackfillCommand.Build());
        root.Add(Commands.TopicsCommand.Build());
        root.Add(Commands.ModelsCommand.Build());
        root.Add(Commands.RulesCommand.Build());
        root.Add(Commands.EvalCommand.Create());
        root.Add(Commands.RecommendBatchCommand.Create());
        root.Add(Commands.TrainRankerCommand.Create());
        root.Add(Commands.ReportCommand.Create());
        root.Add(Commands.SimulateCommand.Build());
        return root;
    }

    /// <summary>How long the process waits, after SIGTERM or Ctrl+C, for the command to stop before it ends anyway (exit 130).</summary>
    public static readonly TimeSpan TerminationTimeout = TimeSpan.FromSeconds(50);

    /// <summary>Runs a command line; configuration and input errors are reported in one line, without a stack trace.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand();
        error ??= Console.Error;
        // On SIGTERM or Ctrl+C the command's token is cancelled and the process waits this long for it to finish:
        // Streamiz needs the time to commit, flush its stores and write RocksDB checkpoints (the library's default of
        // 2 s cut that short). Kubernetes gives 60 s (deploy/kubernetes) before it kills. The signals are handled here,
        // not by System.CommandLine: its handler waits for the command inside the signal callback, so a handler of ours
        // behind it learned of the signal only after the command had failed, and a cancelled command was reported as
        // an error (exit 1) instead of "cancelled" (130). A second signal ends the process at once.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, ProcessTerminationTimeout = null };
        if (output is not null) invocation.Output = output;
        using var signals = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signalled = 0;
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            // A second signal: now (a host's own lifetime would hold it too).
            if (Interlocked.Exchange(ref signalled, 1) == 1) Environment.Exit(130);
            try
            {
                _ = signals.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                return; // the command had returned as the signal came
            }
            _ = Task.Delay(TerminationTimeout).ContinueWith(_ => Environment.Exit(130), TaskScheduler.Default);
        }
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        try
        {
            return await root.Parse(args).InvokeAsync(invocation, signals.Token);
        }
        catch (OptionsValidationException e)
        {
            // Configuration errors are the operator's to fix: say what is wrong, naming the key.
            await error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            // The same, found by the host's ValidateOnStart (cartxsell run).
            await error.WriteLineAsync($"configuration error: {string.Join("; ", e.Failures)}");
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            // Unusable input files (a missing header, say): the message names the file.
            await error.WriteLineAsync($"input error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read or written (a full disk, no permission): the message names it. The offline
            // commands check their outputs before they start (EngineInputs.TryOutputs); this is what remains.
            await error.WriteLineAsync($"i/o error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (KafkaClientSetting(e) is { } setting)
        {
            // librdkafka refused a Kafka:Client property when a client was built (an unknown name, a value of the wrong
            // kind): the operator's to fix, like every other configuration error.
            await error.WriteLineAsync($"configuration error: Kafka:Client: {setting.Message}");
            return 2;
        }
        catch (Exception e) when (KafkaFailure(e) is { } kafka)
        {
            // A cluster that cannot be reached (or refuses) is the operator's to fix, not a crash with a stack trace:
            // one line, and a non-zero exit a supervisor or a script can act on.
            await error.WriteLineAsync($"kafka error: {kafka.Error.Reason} ({kafka.Error.Code}); is Kafka:BootstrapServers right and the cluster up?");
            return 1;
        }
        catch (OperationCanceledException) when (Volatile.Read(ref signalled) == 1 || cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM while a command waited (for the broker, say): the command's token was cancelled.
            await error.WriteLineAsync("cancelled");
            return 130;
        }
        catch (OperationCanceledException e)
        {
            // Cancelled by nothing the operator did (a host that stopped while starting, say): a failure, in one line.
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The refusal of a client property by Confluent.Kafka behind an exception, however wrapped: it throws an
    /// <see cref="InvalidOperationException"/> (an unknown name) or an <see cref="ArgumentException"/> (a value of the
    /// wrong kind) from its own code when a client is built.
    /// </summary>
    internal static Exception? KafkaClientSetting(Exception e) => Cause(e, static x =>
        // Exactly those two types from Confluent's own code: a closed handle's ObjectDisposedException (an
        // InvalidOperationException) or an ArgumentNullException at run time is no configuration error.
        (x.GetType() == typeof(InvalidOperationException) || x.GetType() == typeof(ArgumentException)) && ThrownByConfluent(x) ? x : null);

    /// <summary>
    /// Whether the first frame of the exception's stack outside the runtime's own library is Confluent.Kafka's. Not the
    /// exception's <see cref="Exception.TargetSite"/>: the client's constructor throws from a lambda it passes to
    /// <c>List.ForEach</c>, and once the JIT's profile-guided tier inlines that lambda into <c>ForEach</c> the target
    /// site is <c>ForEach</c> (seen in CI: both refusals then went out as a crash).
    /// </summary>
    private static bool ThrownByConfluent(Exception x)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(x, fNeedFileInfo: false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            if (type is null || type.Assembly == typeof(object).Assembly) continue;
            return type.Namespace?.StartsWith("Confluent.Kafka", StringComparison.Ordinal) == true;
        }
        return false;
    }

    /// <summary>The Kafka failure behind an exception, however wrapped (a hosted service's, a background task's).</summary>
    internal static KafkaException? KafkaFailure(Exception e) => Cause(e, static x => x as KafkaException);

    /// <summary>The first exception <paramref name="match"/> picks: the exception itself, else inside an aggregate or as an inner exception.</summary>
    private static T? Cause<T>(Exception e, Func<Exception, T?> match) where T : Exception =>
        match(e) ?? e switch
        {
            AggregateException a => a.InnerExceptions.Select(inner => Cause(inner, match)).FirstOrDefault(found => found is not null),
            _ when e.InnerException is { } inner => Cause(inner, match),
            _ => null,
        };
}
