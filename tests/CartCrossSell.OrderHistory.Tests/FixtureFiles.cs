namespace CartCrossSell.OrderHistory.Tests;

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
