using System.Globalization;

namespace OtelStorage.Testing;

/// <summary>A process's resident memory from <c>/proc/PID/status</c>: now (VmRSS) and its peak since start (VmHWM), in MiB.</summary>
public readonly record struct ProcessMemory(double RssMiB, double PeakMiB)
{
    public static ProcessMemory? Read(int? pid)
    {
        if (pid is not { } id)
        {
            return null;
        }

        try
        {
            double rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line) / 1024.0;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line) / 1024.0;
                }
            }

            return new ProcessMemory(rss, peak);
        }
        catch (IOException)
        {
            return null; // exited
        }
    }

    /// <summary>Resets the process's peak (VmHWM) to its current RSS (<c>echo 5 &gt; /proc/PID/clear_refs</c>), so a test measures its own peak.</summary>
    public static void ResetPeak(int? pid)
    {
        if (pid is { } id)
        {
            try
            {
                File.WriteAllText($"/proc/{id}/clear_refs", "5");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not permitted here: the peak then covers the whole run, which only makes the bound stricter.
            }
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
