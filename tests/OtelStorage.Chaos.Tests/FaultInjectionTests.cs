using System.Diagnostics;
using OtelStorage.Chaos.Tests.Faults;
using OtelStorage.Chaos.Tests.Load;
using OtelStorage.Chaos.Tests.Reporting;
using OtelStorage.Chaos.Tests.Stack;
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
        await using var driver = new OtlpLoadDriver(
            stack.IngestGrpc,
            new SpanWorkload(size.ActiveTraces, size.SpansPerTrace, size.SpansPerRequest),
            new LoadDriverOptions { SpansPerSecond = size.SpansPerSecond, MaxDuration = size.TestTimeout });
        var faults = new FaultSequence(stack, driver, stack.Verifier(driver.Ledger, concurrency: 8), report, size);
        var spansBeforeFault = (long)(size.SpansPerSecond * size.LoadBeforeFault.TotalSeconds);
        var compacted = 0;
        try
        {
            ChaosReport.Log($"stack up; offering {size.SpansPerSecond} spans/s ({size.Name} size)");
            driver.Start();
            await faults.BaselineAsync(spansBeforeFault, cancel);
            foreach (var fault in Faults(size))
            {
                await faults.RunAsync(fault, spansBeforeFault, cancel);
            }

            await faults.FinishAsync(cancel);
            compacted = await stack.CompactedBlocksAsync(cancel);
        }
        finally
        {
            faults.ReportTotals(compacted, wall.Elapsed);
            await report.WriteAsync(CancellationToken.None);
        }

        Assert.True(faults.Failures.Count == 0, string.Join("\n", faults.Failures) + "\n" + stack.DescribeOutput());
        Assert.True(compacted > 0, "no compacted block was committed, so the faults did not meet compaction at work\n" + stack.DescribeOutput());
        Assert.Equal(0, driver.RequestsAbandoned);
        Assert.Equal(0, driver.PartialSuccesses);
    }

    private List<Fault> Faults(ChaosSize size) =>
    [
        Fault.Kill("SIGKILL Ingest.Api", stack.Ingest.Kill, stack.Ingest.StartAsync, size.DownTime),
        Fault.Kill("SIGKILL Batcher.Worker (1 of 2)", stack.Batchers[0].Kill, stack.Batchers[0].StartAsync, size.DownTime),
        Fault.Kill("SIGKILL Compactor.Worker", stack.Compactor.Kill, stack.Compactor.StartAsync, size.DownTime),
        // What a batcher killed mid-flush leaves on a store without atomic PUTs: a block whose meta.json is cut off.
        Fault.Momentary("meta.json cut off mid-upload", async cancel =>
        {
            await InterruptedUpload.LeaveTruncatedMetaAsync(stack.Store, "single-tenant", size.RecoveryTimeout, cancel);
            return null;
        }),
        Fault.Kill("SIGKILL Query.Api", stack.Query.Kill, stack.Query.StartAsync, size.DownTime),
        Fault.Kill("SIGKILL RabbitMQ", stack.Broker.Kill, stack.Broker.StartAsync, size.DownTime),
        Fault.Kill("SIGKILL s3rver", stack.Store.Kill, stack.Store.StartAsync, size.DownTime),
        new($"SIGSTOP s3rver {size.StorePause.TotalSeconds:0} s", _ =>
        {
            stack.Store.Pause();
            return Task.FromResult<string?>(null);
        }, _ =>
        {
            stack.Store.Resume();
            return Task.CompletedTask;
        }, size.StorePause, ReportsReadiness: false),
    ];
}
