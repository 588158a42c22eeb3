using System.Diagnostics;
using System.Globalization;
using System.Text;
using OtelStorage.Fuzz.Tests.Stack;
using Xunit;

namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>A family of cases: how many a run makes, how many go at once, and how case <c>i</c> is made from its own generator.</summary>
public sealed record FuzzCategory(string Name, FuzzTarget Target, string What, int Reduced, int Full, int Parallelism, Func<Random, int, FuzzCase> Make);

/// <summary>
/// Runs categories against the live stack: each case is made from its own seeded generator, sent, judged by the
/// <see cref="Oracle"/>, and counted; after every case the target process must still be alive. A failing case is
/// saved (input bytes and a replay line). At the end the stack must still serve, and memory must have stayed bounded.
/// </summary>
public sealed class FuzzRunner(FuzzStack stack)
{
    /// <summary>
    /// Peak resident memory (VmHWM, reset at the start of each category) each service may reach. The inputs include
    /// requests at the 64 MiB limit (Otlp:MaxRequestBytes) and stored spans with 64 MiB attributes, and memory scales
    /// with those sizes times what runs at once: Ingest.Api holds each such request about five times over (the body,
    /// the decoded message with its strings in UTF-16, the published copy); Batcher.Worker a batch of up to 64 MiB of
    /// messages (processing:batch_max_bytes) and its encoding; Compactor.Worker two jobs of up to 256 MiB of spans
    /// (Compaction:TargetSpanBytes) and their encoding; Query.Api up to Query:MaxConcurrentBlockScans (4)
    /// decoded blocks. The bounds are those sizes with room for the GC, well under the machine's 24 GiB; the figures
    /// of real runs are in docs/RELIABILITY-fuzz.md. What they rule out is growth with the number of cases.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> PeakBoundMiB = new Dictionary<string, double>
    {
        ["Ingest.Api"] = 2048,
        ["Batcher.Worker"] = 2560,
        ["Compactor.Worker"] = 2560,
        ["Query.Api"] = 3072,
    };

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    /// <summary>
    /// Runs <paramref name="categories"/> one after another, then asserts the oracle's after-run checks. Peak memory is
    /// measured per category, so the report says which inputs drove it.
    /// </summary>
    public async Task RunAndAssertAsync(FuzzCategory[] categories, CancellationToken cancellationToken)
    {
        var before = stack.Memory();
        var errorLinesBefore = stack.ErrorLogLines().Count;
        var stats = new List<CategoryStats>();
        var failuresBefore = stack.Ledger.Failures.Count;
        Output?.WriteLine($"fuzz mode {stack.Settings.Mode}, seed {stack.Settings.Seed} (replay one case: {FuzzSettings.SeedVariable}={stack.Settings.Seed} {FuzzSettings.CaseVariable}=category:index)");
        foreach (var category in categories)
        {
            stats.Add(await RunAsync(category, cancellationToken));
        }

        var after = stack.Memory();
        var peaks = after.Keys.ToDictionary(service => service, service => stats.Max(c => c.PeakMiB.GetValueOrDefault(service)));
        var problems = await stack.CheckStillServingAsync(cancellationToken);
        var errorLines = stack.ErrorLogLines().Skip(errorLinesBefore).ToList();

        var report = new StringBuilder();
        foreach (var s in stats)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{s.Target,-10} {s.Name,-28} {s.Cases,7} cases {s.Failures,4} failed {s.ServerErrors,4} 5xx {s.Crashes} crashes {s.Elapsed.TotalSeconds,6:0.0} s | peak MiB {s.Peaks()} | {s.OutcomeSummary()}");
        }

        foreach (var (service, m) in after)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{service}: RSS {Format(before[service]?.RssMiB)} -> {Format(m?.RssMiB)} MiB, peak {Format(peaks[service])} MiB (bound {PeakBoundMiB[service]} MiB)");
        }

        foreach (var line in errorLines.Take(20))
        {
            report.AppendLine("logged: " + line);
        }

        Output?.WriteLine(report.ToString());

        var failures = stack.Ledger.Failures.Skip(failuresBefore).ToList();
        var messages = new List<string>();
        messages.AddRange(failures.Take(20).Select(f => $"{f.Category}:{f.Index} (seed {stack.Settings.Seed}) {f.Description}: {f.Problem} [input {f.InputFile}]"));
        messages.AddRange(problems.Select(p => "after the run: " + p));
        foreach (var (service, peak) in peaks)
        {
            if (peak > PeakBoundMiB[service])
            {
                var category = stats.MaxBy(c => c.PeakMiB.GetValueOrDefault(service))!.Name;
                messages.Add($"{service} peaked at {peak:0} MiB resident (in {category}), over its bound of {PeakBoundMiB[service]} MiB");
            }
        }

        messages.AddRange(errorLines.Where(l => l.Contains("nhandled", StringComparison.Ordinal)).Take(10).Select(l => "unhandled exception logged: " + l));
        Assert.True(messages.Count == 0, $"{failures.Count} failed cases, {problems.Count} after-run problems:\n" + string.Join('\n', messages));
    }

    public async Task<CategoryStats> RunAsync(FuzzCategory category, CancellationToken cancellationToken)
    {
        var stats = stack.Ledger.Category(category.Name, category.Target.ToString(), category.What);
        var service = stack.Service(category.Target);
        stack.ResetPeaks();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            stack.Settings.Indices(category.Name, category.Reduced, category.Full),
            new ParallelOptions { MaxDegreeOfParallelism = category.Parallelism, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var c = category.Make(CaseRandom.For(stack.Settings.Seed, category.Name, index), index) with { Category = category.Name, Index = index };
                var observation = await stack.Client.SendAsync(c, ct);
                var verdict = Oracle.Judge(c, observation);
                stats.Record(verdict);
                if (verdict.Failed)
                {
                    stack.Ledger.Fail(c, observation, verdict.Problem!);
                }

                if (await stack.RestartIfExitedAsync(service, ct))
                {
                    stats.RecordCrash();
                    stack.Ledger.Fail(c, observation, "the service process exited (crash) during this case or one running beside it");
                }
            });
        stats.AddElapsed(clock.Elapsed);
        var memory = stack.Memory();
        stats.ObservePeaks(memory);
        stack.Ledger.ObserveMemory(memory);
        return stats;
    }

    private static string Format(double? mib) => mib is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";
}
