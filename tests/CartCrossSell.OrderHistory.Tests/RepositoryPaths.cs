namespace CartCrossSell.OrderHistory.Tests;

/// <summary>Finds the repository (the directory holding CartCrossSell.sln) and the shared Online Retail extract kept in its data/ folder.</summary>
public static class RepositoryPaths
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CartCrossSell.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No directory above '{AppContext.BaseDirectory}' holds CartCrossSell.sln.");
    }

    public static string OnlineRetailCsv() =>
        Path.Combine(RepositoryRoot(), "data", "online-retail-dec2010.csv");
}

/// <summary>A temporary directory for fixture files, deleted with the test class.</summary>
public sealed class FixtureFiles : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cartxsell-orderhistory-" + Guid.NewGuid().ToString("N"));

    public FixtureFiles() => Directory.CreateDirectory(_dir);

    public string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
