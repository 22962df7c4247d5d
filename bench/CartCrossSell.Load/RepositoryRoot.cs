namespace CartCrossSell.Load;

/// <summary>The repository root (where CartCrossSell.sln is), found upwards from the working directory.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CartCrossSell.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
