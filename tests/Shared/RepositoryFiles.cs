namespace CartCrossSell.Tests;

/// <summary>
/// Files of this repository, found from the test binaries by walking up to the solution file. Compiled into every
/// test project (tests/Directory.Build.props), internal so the copies never meet.
/// </summary>
internal static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CartCrossSell.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"No directory above '{AppContext.BaseDirectory}' holds CartCrossSell.sln.");
        }
    }

    /// <summary>The shared UCI Online Retail extract (December 2010), kept in data/ so a fresh clone has it.</summary>
    public static string OnlineRetail => Path.Combine(Root, "data", "online-retail-dec2010.csv");

    public static string Schemas => Path.Combine(Root, "schemas");
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
