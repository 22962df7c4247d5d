using System.CommandLine;
using CartCrossSell.Streams;

namespace CartCrossSell.Cli;

/// <summary>The <c>cartxsell</c> root command: one sub-command per operator task, each in its own file.</summary>
public static class CliApplication
{
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("cartxsell: basket-aware cart-page cross-sells from Kafka into Redis");
        root.Add(Commands.RunCommand.Build());
        root.Add(Commands.DemoCommand.Build());
        root.Add(Commands.BackfillCommand.Build());
        root.Add(Commands.TopicsCommand.Build());
        root.Add(Commands.EvalCommand.Create());
        root.Add(Commands.RecommendBatchCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand();
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            // Configuration errors are the operator's to fix: say what is wrong, without a stack trace.
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }
    }
}
