namespace CartCrossSell.Load;

/// <summary>One line naming the machine: CPU model, cores, memory, kernel, .NET.</summary>
public static class MachineDescription
{
    public static string Describe()
    {
        var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memLine = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memGb = memLine is null ? 0 : long.Parse(memLine.Split(':', 2)[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{cpu}, {Environment.ProcessorCount} cores, {memGb:0} GB RAM, Linux {Environment.OSVersion.Version}, .NET {Environment.Version}");
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
