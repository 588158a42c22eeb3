using System.Globalization;
using System.Text;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.Chaos.Tests.Reporting;

/// <summary>One fault's figures, all measured from the restart (or SIGCONT, or the injection when nothing restarts).</summary>
/// <param name="Fault">What was done, for example "SIGKILL Ingest.Api".</param>
/// <param name="Outage">How long the process was down or stopped.</param>
/// <param name="Ready">Until the restarted process answered its readiness check.</param>
/// <param name="Export">Until an export sent after the restart was acknowledged.</param>
/// <param name="ExportQueryable">Until every span of that export was returned by Query.Api: the data path works again.</param>
/// <param name="Verified">Until every span acknowledged so far was checked and returned (includes the lookups' own time).</param>
/// <param name="Acknowledged">Spans acknowledged when the check ran.</param>
/// <param name="Checked">Spans the check read back (those of traces not already verified complete).</param>
/// <param name="Lost">Acknowledged spans missing at the check's deadline.</param>
/// <param name="Duplicates">Extra copies of a (traceId, spanId) in any answer.</param>
public sealed record FaultFigures(
    string Fault,
    TimeSpan Outage,
    TimeSpan? Ready,
    TimeSpan? Export,
    TimeSpan? ExportQueryable,
    TimeSpan? Verified,
    long Acknowledged,
    long Checked,
    long Lost,
    long Duplicates);

/// <summary>
/// Collects a scenario's figures, prints them to the test output and writes them as a markdown section (to
/// <c>OTELSTORAGE_CHAOS_REPORT</c>, or <c>TestResults/chaos-{size}.md</c>), ready to paste into docs/RELIABILITY.md.
/// </summary>
public sealed class ChaosReport(string scenario, ChaosSize size)
{
    // Other work on the same 2 cores stretches every recovery time, so the report says how busy the machine was.
    private readonly string _loadAtStart = LoadAverage();
    private readonly List<FaultFigures> _faults = [];
    private readonly List<(string Name, string Value)> _totals = [];

    public IReadOnlyList<FaultFigures> Faults => _faults;

    public void Add(FaultFigures figures)
    {
        _faults.Add(figures);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"[{Clock()}] {figures.Fault}: outage {S(figures.Outage)}, ready {S(figures.Ready)}, export {S(figures.Export)}, that export queryable {S(figures.ExportQueryable)}, all verified {S(figures.Verified)}; " +
            $"acknowledged {figures.Acknowledged}, checked {figures.Checked}, lost {figures.Lost}, duplicates {figures.Duplicates}");
    }

    public void Total(string name, object value)
    {
        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        _totals.Add((name, text));
        TestContext.Current.TestOutputHelper?.WriteLine($"[{Clock()}] {name}: {text}");
    }

    /// <summary>To the test output, and to TestResults/chaos-logs/progress.log, which shows a long run's progress while it runs.</summary>
    public static void Log(string message)
    {
        var line = $"[{Clock()}] {message}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        try
        {
            var folder = Path.Combine(RepositoryPaths.Root, "TestResults", "chaos-logs");
            Directory.CreateDirectory(folder);
            File.AppendAllText(Path.Combine(folder, "progress.log"), line + "\n");
        }
        catch (IOException)
        {
            // Diagnostics only.
        }
    }

    /// <summary>Appends this scenario's section to the report file, which the first scenario of a run creates.</summary>
    public async Task WriteAsync(CancellationToken cancellationToken)
    {
        var path = ReportPath(size);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder();
        if (!Written.Contains(path))
        {
            text.Append(CultureInfo.InvariantCulture, $"# Chaos run ({size.Name}), {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
            text.Append(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; ");
            text.Append(CultureInfo.InvariantCulture, $"offered load {size.SpansPerSecond:0} spans/s in requests of {size.SpansPerRequest} spans, {size.SpansPerTrace} spans per trace.\n\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"## {scenario}\n\n");
        if (_faults.Count > 0)
        {
            text.Append("| fault | outage | ready | export accepted | that export queryable | all acknowledged verified | spans acknowledged | lost | duplicates |\n");
            text.Append("|---|---|---|---|---|---|---|---|---|\n");
            foreach (var f in _faults)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {f.Fault} | {S(f.Outage)} | {S(f.Ready)} | {S(f.Export)} | {S(f.ExportQueryable)} | {S(f.Verified)} | {f.Acknowledged:N0} | {f.Lost} | {f.Duplicates} |\n");
            }

            text.Append('\n');
        }

        foreach (var (name, value) in _totals)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {name}: {value}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min) at start: {_loadAtStart}; at end: {LoadAverage()}\n");
        text.Append('\n');
        if (Written.Add(path))
        {
            await File.WriteAllTextAsync(path, text.ToString(), cancellationToken);
        }
        else
        {
            await File.AppendAllTextAsync(path, text.ToString(), cancellationToken);
        }

        Log("report written to " + path);
    }

    public static string S(TimeSpan? time) => time is { } t ? t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "–";

    private static readonly HashSet<string> Written = [];

    private static string ReportPath(ChaosSize size) =>
        Environment.GetEnvironmentVariable(ChaosSize.ReportEnvironmentVariable) is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(RepositoryPaths.Root, "TestResults", $"chaos-{size.Name}.md");

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Clock() => DateTimeOffset.Now.ToString("HH:mm:ss.f", CultureInfo.InvariantCulture);
}
