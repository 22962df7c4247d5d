using System.CommandLine;

namespace CartCrossSell.Cli;

/// <summary>The <c>cartxsell</c> root command: one sub-command per operator task, each in its own file.</summary>
public static class CliApplication
{
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("cartxsell: basket-aware cart-page cross-sells from Kafka into Redis");
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand();
        return await root.Parse(args).InvokeAsync(cancellationToken: cancellationToken);
    }
}
