namespace CartCrossSell.Web.Tests;

/// <summary>
/// A browser test: it drives Debian's <c>chromium</c> by its path (<c>scripts/ensure-chromium.sh</c> installs it;
/// Playwright never downloads a browser here). Where no chromium is installed the test is skipped and says why.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Executable is null)
            Skip = "no chromium executable (CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser): install the Debian package chromium (scripts/ensure-chromium.sh)";
    }

    public static string? Executable =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
}
