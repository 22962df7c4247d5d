using System.Globalization;

namespace CartCrossSell.Load;

/// <summary>Resident memory of a process, from /proc/{pid}/status: VmRSS now and VmHWM (the peak).</summary>
public sealed record ProcessMemory(long ResidentKilobytes, long PeakResidentKilobytes)
{
    public double ResidentMegabytes => ResidentKilobytes / 1024.0;
    public double PeakResidentMegabytes => PeakResidentKilobytes / 1024.0;

    public static ProcessMemory? Read(int pid)
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
            }
            return new ProcessMemory(rss, hwm);
        }
        catch (IOException)
        {
            return null; // the process is gone
        }
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{ResidentMegabytes:0} MiB resident (peak {PeakResidentMegabytes:0} MiB)");

    // "VmRSS:	  123456 kB"
    private static long Kilobytes(string line) =>
        long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
