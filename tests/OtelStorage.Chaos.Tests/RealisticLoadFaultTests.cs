using System.Diagnostics;
using System.Globalization;
using OtelStorage.Chaos.Tests.Faults;
using OtelStorage.Chaos.Tests.Load;
using OtelStorage.Chaos.Tests.Reporting;
using OtelStorage.Chaos.Tests.Stack;
using Xunit;

namespace OtelStorage.Chaos.Tests;

/// <summary>
/// Issue 21: under the load generator's realistic workload (20,000 spans/s of 12-service traces, 512 spans per
/// request, 4 requests in flight), so that many publishes, deliveries and batches are in flight when the broker
/// fails, the broker's Erlang VM is killed (kill -9 of beam.smp) at seeded random moments and started again over the
/// same data, the broker is restarted gracefully (<c>rabbitmqctl stop_app</c>, <c>start_app</c>), every client
/// connection is closed from the broker's side (<c>rabbitmqctl close_connection</c>), and services are killed once each
/// (all four at the full size, a Batcher.Worker at the reduced one). After each fault, and at the end, every span of a request acknowledged in full must be read back through
/// Query.Api exactly once. <c>OTELSTORAGE_CHAOS_SEED</c> repeats a run's moments and data.
/// </summary>
public sealed class RealisticLoadFaultTests(RealisticLoadStack stack) : IClassFixture<RealisticLoadStack>
{
    public const string SeedEnvironmentVariable = "OTELSTORAGE_CHAOS_SEED";

    [Fact]
    public async Task EveryAcknowledgedSpanIsQueryableExactlyOnceAfterBrokerAndServiceFaultsUnderRealisticLoad()
    {
        var size = ChaosSize.Current;
        var load = size.Realistic;
        var seed = Environment.GetEnvironmentVariable(SeedEnvironmentVariable) is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : Random.Shared.Next(1, 1_000_000);
        var moments = new Random(seed);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(load.TestTimeout);
        var cancel = deadline.Token;
        var wall = Stopwatch.StartNew();
        var report = new ChaosReport($"Broker and service faults under the load generator's workload (seed {seed})", size);
        ChaosReport.Log($"seed {seed} ({SeedEnvironmentVariable}={seed} repeats the fault moments and the data)");
        await using var driver = new OtlpLoadDriver(
            stack.IngestGrpc,
            RealisticWorkload.Generate(seed, load.SpansPerRequest, load.TemplateSpans),
            new LoadDriverOptions
            {
                SpansPerSecond = load.SpansPerSecond,
                Concurrency = load.Concurrency,
                MaxDuration = load.TestTimeout,
                MaxSpans = long.MaxValue,
                AcknowledgePartialSuccess = false,
            });
        var faults = new FaultSequence(stack, driver, stack.Verifier(driver.Ledger, concurrency: 16), report, size) { SettleTimeout = load.SettleTimeout, LoadOnlyAroundFaults = true };
        long SpansBeforeFault() => (long)(load.SpansPerSecond * load.LoadBeforeFault.TotalSeconds * (0.5 + moments.NextDouble()));
        var compacted = 0;
        try
        {
            ChaosReport.Log($"stack up; offering {load.SpansPerSecond} spans/s, {load.SpansPerRequest} per request, {load.Concurrency} in flight ({size.Name} size)");
            driver.Start();
            await faults.BaselineAsync(SpansBeforeFault(), cancel);
            foreach (var fault in Faults(size))
            {
                await faults.RunAsync(fault, SpansBeforeFault(), cancel);
            }

            await faults.FinishAsync(cancel);
            compacted = await stack.CompactedBlocksAsync(cancel);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            faults.Failures.Add($"the scenario's deadline ({load.TestTimeout.TotalMinutes:0} min) passed during: {faults.Step}");
        }
        finally
        {
            report.Total("seed", seed);
            faults.ReportTotals(compacted, wall.Elapsed);
            await report.WriteAsync(CancellationToken.None);
        }

        Assert.True(faults.Failures.Count == 0, $"seed {seed} ({SeedEnvironmentVariable}={seed} repeats it)\n" + string.Join("\n", faults.Failures) + "\n" + stack.DescribeOutput());
        Assert.Equal(0, driver.RequestsAbandoned);
    }

    /// <summary>
    /// The broker faults, each kind in turn, with a service kill after every other one, so that each service is killed
    /// while the system still recovers from broker faults (reduced: beam.smp, Batcher, stop_app, close_connection,
    /// beam.smp).
    /// </summary>
    private List<Fault> Faults(ChaosSize size)
    {
        var load = size.Realistic;
        var broker = new List<Fault>();
        for (var i = 1; i <= Math.Max(load.BrokerKills, Math.Max(load.BrokerAppRestarts, load.ConnectionCloses)); i++)
        {
            if (i <= load.BrokerKills)
            {
                broker.Add(new($"kill -9 beam.smp #{i}", _ => Task.FromResult<string?>($"pid {stack.Broker.KillNode()}"), stack.Broker.StartAsync, size.DownTime));
            }

            if (i <= load.BrokerAppRestarts)
            {
                broker.Add(new($"graceful broker restart (stop_app, start_app) #{i}", async cancel =>
                {
                    await stack.Broker.StopAppAsync(cancel);
                    return null;
                }, stack.Broker.StartAppAsync, size.DownTime));
            }

            if (i <= load.ConnectionCloses)
            {
                broker.Add(Fault.Momentary($"connections closed by the broker #{i}", async cancel =>
                    $"{await stack.Broker.CloseConnectionsAsync("closed by the chaos suite", cancel)} connections"));
            }
        }

        List<Fault> services =
        [
            .. new[]
            {
                Fault.Kill("SIGKILL Batcher.Worker (1 of 2)", stack.Batchers[0].Kill, stack.Batchers[0].StartAsync, size.DownTime),
                Fault.Kill("SIGKILL Ingest.Api", stack.Ingest.Kill, stack.Ingest.StartAsync, size.DownTime),
                Fault.Kill("SIGKILL Compactor.Worker", stack.Compactor.Kill, stack.Compactor.StartAsync, size.DownTime),
                Fault.Kill("SIGKILL Query.Api", stack.Query.Kill, stack.Query.StartAsync, size.DownTime),
            }.Take(load.KilledServices),
        ];
        var all = new List<Fault>();
        for (var i = 0; i < broker.Count; i++)
        {
            all.Add(broker[i]);
            if (i % 2 == 0 && i / 2 < services.Count)
            {
                all.Add(services[i / 2]);
            }
        }

        all.AddRange(services.Skip((broker.Count + 1) / 2));
        return all;
    }
}
