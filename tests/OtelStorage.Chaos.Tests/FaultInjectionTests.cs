using System.Diagnostics;
using OtelStorage.Chaos.Tests.Load;
using OtelStorage.Chaos.Tests.Reporting;
using OtelStorage.Chaos.Tests.Stack;
using OtelStorage.Chaos.Tests.Verification;
using Xunit;

namespace OtelStorage.Chaos.Tests;

/// <summary>
/// Issue #9, part 1: under sustained OTLP/gRPC load, each process of the system is killed (SIGKILL) and restarted in
/// turn, and s3rver is also stopped (SIGSTOP) for a while. After each fault, and at the end, every acknowledged span
/// must be readable through Query.Api, and no (traceId, spanId) may come back twice.
/// </summary>
public sealed class FaultInjectionTests(FaultStack stack) : IClassFixture<FaultStack>
{
    [Fact]
    public async Task EveryAcknowledgedSpanIsQueryableExactlyOnceAfterEachFault()
    {
        var size = ChaosSize.Current;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(size.TestTimeout);
        var cancel = deadline.Token;
        var wall = Stopwatch.StartNew();
        var report = new ChaosReport("Fault injection under load", size);
        var failures = new List<string>();
        var verified = new Dictionary<string, int>(StringComparer.Ordinal);
        using var checker = new TraceChecker(stack.QueryUri, concurrency: 8);
        await using var driver = new OtlpLoadDriver(
            stack.GrpcEndpoint,
            new SpanWorkload(size.ActiveTraces, size.SpansPerTrace, size.SpansPerRequest),
            new LoadDriverOptions { SpansPerSecond = size.SpansPerSecond, MaxDuration = size.TestTimeout });
        var spansBeforeFault = (long)(size.SpansPerSecond * size.LoadBeforeFault.TotalSeconds);
        CheckResult? final = null;
        var compacted = 0;
        try
        {
            ChaosReport.Log($"stack up; offering {size.SpansPerSecond} spans/s ({size.Name} size)");
            driver.Start();

            // Baseline: how long acknowledged spans take to become queryable with nothing broken.
            await driver.WaitForAcknowledgedAsync(spansBeforeFault, size.LoadBeforeFault * 3 + size.RecoveryTimeout, cancel);
            report.Add(await RecoverAsync("none (baseline)", TimeSpan.Zero, Stopwatch.GetTimestamp(), null, driver, checker, verified, failures, size, cancel));

            foreach (var fault in Faults(size))
            {
                await driver.WaitForAcknowledgedAsync(driver.Acknowledged.Count + spansBeforeFault, size.LoadBeforeFault * 3 + size.RecoveryTimeout, cancel);
                ChaosReport.Log($"{fault.Name}: injecting with {driver.Acknowledged.Count} spans acknowledged");
                await fault.InjectAsync(cancel).WaitAsync(size.RecoveryTimeout, cancel);
                await Task.Delay(fault.Outage, cancel); // the fault's fixed duration, not a wait for a condition

                var restart = Stopwatch.GetTimestamp();
                await fault.RestoreAsync(cancel).WaitAsync(size.RecoveryTimeout, cancel);
                var ready = Stopwatch.GetElapsedTime(restart);
                report.Add(await RecoverAsync(fault.Name, fault.Outage, restart, fault.ReportsReadiness ? ready : null, driver, checker, verified, failures, size, cancel));
            }

            await driver.StopAsync(size.RecoveryTimeout);
            ChaosReport.Log($"load stopped; checking all {driver.Acknowledged.Count} acknowledged spans in {driver.Acknowledged.TraceCount} traces");
            var endMark = Stopwatch.GetTimestamp();
            final = await checker.CheckAsync(driver.Acknowledged.Snapshot(), size.RecoveryTimeout, cancel);
            report.Add(new FaultFigures("end of run (every trace)", TimeSpan.Zero, null, null, null, final.Complete ? Stopwatch.GetElapsedTime(endMark) : null,
                driver.Acknowledged.Count, final.ExpectedSpans, final.MissingSpans, final.DuplicateSpans));
            Record(failures, "end of run", final);
            compacted = await stack.CompactedBlocksAsync(cancel);
        }
        finally
        {
            var faults = Faults(size).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            var survived = report.Faults.Count(f => faults.Contains(f.Fault) && f.Lost == 0 && f.Duplicates == 0 && f.Verified is not null);
            report.Total("faults survived", $"{survived} of {faults.Count}");
            report.Total("spans acknowledged", driver.Acknowledged.Count);
            report.Total("spans lost (acknowledged, not queryable at the end)", final?.MissingSpans.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not checked");
            report.Total("duplicates visible (over every check)", report.Faults.Sum(f => f.Duplicates));
            report.Total("compacted blocks committed", compacted);
            report.Total("traces", driver.Acknowledged.TraceCount);
            report.Total("spans generated / requests acknowledged", $"{driver.SpansGenerated} / {driver.RequestsAcknowledged}");
            report.Total("requests abandoned (spans)", $"{driver.RequestsAbandoned} ({driver.SpansAbandoned})");
            report.Total("stored spans never acknowledged (at-least-once extras)", final?.UnacknowledgedSpans.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not checked");
            report.Total("export attempts by outcome", OtlpLoadDriver.Describe(driver.Outcomes()));
            report.Total("wall time", ChaosReport.S(wall.Elapsed));
            await report.WriteAsync(CancellationToken.None);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + stack.DescribeOutput());
        Assert.True(compacted > 0, "no compacted block was committed, so the faults did not meet compaction at work\n" + stack.DescribeOutput());
        Assert.Equal(0, driver.RequestsAbandoned);
        Assert.Equal(0, driver.PartialSuccesses);
    }

    /// <summary>
    /// After a fault is repaired at <paramref name="mark"/>: waits for an export sent after it to be acknowledged, then
    /// for that export's spans to be queryable (the whole path works again), then checks every span acknowledged so far.
    /// </summary>
    private static async Task<FaultFigures> RecoverAsync(
        string name,
        TimeSpan outage,
        long mark,
        TimeSpan? ready,
        OtlpLoadDriver driver,
        TraceChecker checker,
        Dictionary<string, int> verified,
        List<string> failures,
        ChaosSize size,
        CancellationToken cancellationToken)
    {
        var (export, first) = await driver.WaitForExportStartedAfterAsync(mark, size.RecoveryTimeout, cancellationToken);
        var fresh = await checker.CheckAsync(AcknowledgedSpans.Of(first), size.RecoveryTimeout, cancellationToken);
        var exportQueryable = Stopwatch.GetElapsedTime(mark);
        Record(failures, name + ", first export after it", fresh);
        var check = await CheckNewSpansAsync(driver, checker, verified, size, cancellationToken);
        var all = Stopwatch.GetElapsedTime(mark);
        Record(failures, name, check);
        return new FaultFigures(name, outage, ready, export, fresh.Complete ? exportQueryable : null, check.Complete ? all : null,
            driver.Acknowledged.Count, check.ExpectedSpans, check.MissingSpans, check.DuplicateSpans);
    }

    /// <summary>Checks the traces whose acknowledged spans were not all verified yet (all of them at the end of the run).</summary>
    private static async Task<CheckResult> CheckNewSpansAsync(OtlpLoadDriver driver, TraceChecker checker, Dictionary<string, int> verified, ChaosSize size, CancellationToken cancellationToken)
    {
        var snapshot = driver.Acknowledged.Snapshot();
        var unverified = snapshot.Where(t => !verified.TryGetValue(t.Key, out var n) || n < t.Value.Length).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var result = await checker.CheckAsync(unverified, size.RecoveryTimeout, cancellationToken);
        foreach (var traceId in result.CompleteTraces)
        {
            verified[traceId] = unverified[traceId].Length;
        }

        return result;
    }

    private static void Record(List<string> failures, string step, CheckResult check)
    {
        ChaosReport.Log($"{step}: checked {check.ExpectedSpans} spans in {check.Traces} traces in {ChaosReport.S(check.Elapsed)} ({check.Lookups} lookups, {check.FailedLookups} failed); " +
            $"missing {check.MissingSpans}, duplicates {check.DuplicateSpans}, stored but not in the snapshot {check.UnacknowledgedSpans}");
        if (check.MissingSpans > 0)
        {
            failures.Add($"{step}: {check.MissingSpans} of {check.ExpectedSpans} acknowledged spans not queryable; for example {string.Join("; ", check.MissingExamples)}");
        }

        if (check.DuplicateSpans > 0)
        {
            failures.Add($"{step}: {check.DuplicateSpans} duplicate (traceId, spanId) in Query.Api's answers");
        }
    }

    private List<Fault> Faults(ChaosSize size) =>
    [
        Kill("SIGKILL Ingest.Api", stack.Ingest.Kill, stack.Ingest.StartAsync, size.DownTime),
        Kill("SIGKILL Batcher.Worker (1 of 2)", stack.BatcherA.Kill, stack.BatcherA.StartAsync, size.DownTime),
        Kill("SIGKILL Compactor.Worker", stack.Compactor.Kill, stack.Compactor.StartAsync, size.DownTime),
        // What a batcher killed mid-flush leaves on a store without atomic PUTs: a block whose meta.json is cut off.
        new("meta.json cut off mid-upload", async cancel => await InterruptedUpload.LeaveTruncatedMetaAsync(stack.Store, "single-tenant", size.RecoveryTimeout, cancel),
            _ => Task.CompletedTask, TimeSpan.Zero, ReportsReadiness: false),
        Kill("SIGKILL Query.Api", stack.Query.Kill, stack.Query.StartAsync, size.DownTime),
        Kill("SIGKILL RabbitMQ", stack.Broker.Kill, stack.Broker.StartAsync, size.DownTime),
        Kill("SIGKILL s3rver", stack.Store.Kill, stack.Store.StartAsync, size.DownTime),
        new($"SIGSTOP s3rver {size.StorePause.TotalSeconds:0} s", _ =>
        {
            stack.Store.Pause();
            return Task.CompletedTask;
        }, _ =>
        {
            stack.Store.Resume();
            return Task.CompletedTask;
        }, size.StorePause, ReportsReadiness: false),
    ];

    private static Fault Kill(string name, Action kill, Func<CancellationToken, Task> restartAsync, TimeSpan downTime) =>
        new(name, _ =>
        {
            kill();
            return Task.CompletedTask;
        }, restartAsync, downTime);

    /// <param name="Name">As reported.</param>
    /// <param name="InjectAsync">Breaks something.</param>
    /// <param name="RestoreAsync">Restarts (or resumes) it and waits for its readiness.</param>
    /// <param name="Outage">How long it stays broken.</param>
    /// <param name="ReportsReadiness">Whether restoring waits for a readiness signal worth reporting.</param>
    private sealed record Fault(string Name, Func<CancellationToken, Task> InjectAsync, Func<CancellationToken, Task> RestoreAsync, TimeSpan Outage, bool ReportsReadiness = true);
}
