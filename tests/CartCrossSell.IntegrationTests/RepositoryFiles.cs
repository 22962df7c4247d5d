namespace CartCrossSell.IntegrationTests;

/// <summary>Files of this repository, found from the test binaries by walking up to the solution file.</summary>
public static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CartCrossSell.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("CartCrossSell.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The shared UCI Online Retail extract (December 2010), kept in data/ so a fresh clone has it.</summary>
    public static string OnlineRetail => Path.Combine(Root, "data", "online-retail-dec2010.csv");
}
