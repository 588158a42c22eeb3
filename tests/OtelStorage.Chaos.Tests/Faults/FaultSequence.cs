using System.Diagnostics;
using System.Globalization;
using System.Text;
using OtelStorage.Chaos.Tests.Load;
using OtelStorage.Chaos.Tests.Reporting;
using OtelStorage.Chaos.Tests.Stack;
using OtelStorage.LoadGen.Verification;

namespace OtelStorage.Chaos.Tests.Faults;

/// <summary>
/// Injects faults one after the other under a driver's load. After each repair it waits for an export sent after
/// it to be acknowledged and queryable (the whole path works again), then reads back every span acknowledged so far
/// in traces not yet verified; at the end, with the load stopped, every trace. Each step goes into the report, and
/// each lost, duplicated, altered or never-sent span into <see cref="Failures"/>, with where a lost span's request and
/// blocks were. The rule for spans is the <see cref="TraceVerifier"/>'s.
/// </summary>
public sealed class FaultSequence(ChaosStack stack, OtlpLoadDriver driver, TraceVerifier verifier, ChaosReport report, ChaosSize size)
{
    private readonly Dictionary<string, int> _verified = new(StringComparer.Ordinal);
    private readonly List<FaultFigures> _faults = [];
    private long _altered;
    private long _neverSent;

    /// <summary>One line per lost, duplicated, altered or never-sent span set, naming the step.</summary>
    public List<string> Failures { get; } = [];

    /// <summary>The check of every trace at the end, once <see cref="FinishAsync"/> ran.</summary>
    public VerificationResult? Final { get; private set; }

    /// <summary>
    /// How long data may take to become queryable once an export sent after the repair is: batches cut before the
    /// fault, and redelivered ones, are written within a few batch timeouts.
    /// </summary>
    public TimeSpan SettleTimeout { get; init; } = size.RecoveryTimeout;

    /// <summary>
    /// Whether new load stops once a fault is injected, until it is repaired, and while the spans acknowledged so far
    /// are read back; requests already in flight are still retried until acknowledged. At tens of thousands of spans
    /// per second, load meanwhile would multiply the traces to look up (one lookup each) without meeting the fault.
    /// </summary>
    public bool LoadOnlyAroundFaults { get; init; }

    /// <summary>What the sequence is doing, for a failure message when the scenario's deadline passes.</summary>
    public string Step { get; private set; } = "not started";

    /// <summary>How long the checks after a fault took in all (lookups included).</summary>
    public TimeSpan CheckTime { get; private set; }

    /// <summary>How long data takes to become queryable with nothing broken.</summary>
    public async Task BaselineAsync(long spans, CancellationToken cancellationToken)
    {
        Step = "baseline";
        await WaitForLoadAsync(spans, cancellationToken);
        report.Add(await RecoverAsync("none (baseline)", TimeSpan.Zero, Stopwatch.GetTimestamp(), null, cancellationToken));
    }

    /// <summary>Once <paramref name="spansBefore"/> more spans are acknowledged, injects the fault, repairs it and checks.</summary>
    public async Task RunAsync(Fault fault, long spansBefore, CancellationToken cancellationToken)
    {
        Step = $"{fault.Name}: waiting for {spansBefore} more spans acknowledged";
        await WaitForLoadAsync(driver.Ledger.AcknowledgedCount + spansBefore, cancellationToken);
        var acknowledged = driver.Ledger.AcknowledgedCount;
        Step = $"{fault.Name}: injecting";
        var detail = await fault.InjectAsync(cancellationToken).WaitAsync(size.RecoveryTimeout, cancellationToken);
        if (LoadOnlyAroundFaults)
        {
            driver.Pause();
        }

        var name = detail is null ? fault.Name : $"{fault.Name} ({detail})";
        ChaosReport.Log($"{name}: injected with {acknowledged} spans acknowledged");
        await Task.Delay(fault.Outage, cancellationToken); // the fault's fixed duration, not a wait for a condition

        var restart = Stopwatch.GetTimestamp();
        Step = $"{name}: repairing";
        await fault.RestoreAsync(cancellationToken).WaitAsync(size.RecoveryTimeout, cancellationToken);
        var ready = Stopwatch.GetElapsedTime(restart);
        driver.Resume();
        var figures = await RecoverAsync(name, fault.Outage, restart, fault.ReportsReadiness ? ready : null, cancellationToken);
        _faults.Add(figures);
        report.Add(figures);
    }

    /// <summary>Stops the load, lets the requests in flight finish, and checks every acknowledged span.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        Step = "end of run: stopping the load";
        await driver.StopAsync(size.RecoveryTimeout);
        Step = $"end of run: reading back all {driver.Ledger.AcknowledgedCount} acknowledged spans";
        ChaosReport.Log($"load stopped; checking all {driver.Ledger.AcknowledgedCount} acknowledged spans in {driver.Ledger.AcknowledgedTraceCount} traces");
        var endMark = Stopwatch.GetTimestamp();
        var all = driver.Ledger.Acknowledged();
        Final = await verifier.VerifyAsync(all, size.RecoveryTimeout, null, cancellationToken);
        report.Add(new FaultFigures("end of run (every trace)", TimeSpan.Zero, null, null, null, Final.MissingSpans == 0 ? Stopwatch.GetElapsedTime(endMark) : null,
            driver.Ledger.AcknowledgedCount, Final.ExpectedSpans, Final.MissingSpans, Final.DuplicateSpans));
        await RecordAsync("end of run", all, Final, cancellationToken);
    }

    /// <summary>The run's totals, into the report.</summary>
    public void ReportTotals(int compacted, TimeSpan wall)
    {
        var survived = _faults.Count(f => f.Lost == 0 && f.Duplicates == 0 && f.Verified is not null);
        report.Total("faults survived", $"{survived} of {_faults.Count}");
        report.Total("spans acknowledged", driver.Ledger.AcknowledgedCount);
        report.Total("spans lost (acknowledged, not queryable at the end)", Final?.MissingSpans.ToString(CultureInfo.InvariantCulture) ?? "not checked");
        report.Total("duplicates visible (over every check)", report.Faults.Sum(f => f.Duplicates));
        report.Total("spans read back altered / never sent (over every check)", $"{_altered} / {_neverSent}");
        report.Total("compacted blocks committed", compacted);
        report.Total("traces", driver.Ledger.AcknowledgedTraceCount);
        report.Total("spans generated / requests acknowledged", $"{driver.SpansGenerated} / {driver.RequestsAcknowledged}");
        report.Total("requests abandoned (spans)", $"{driver.RequestsAbandoned} ({driver.SpansAbandoned})");
        report.Total("partial successes (not counted as acknowledged)", driver.PartialSuccesses);
        report.Total("stored spans never acknowledged (at-least-once extras)", Final?.UnacknowledgedSpans.ToString(CultureInfo.InvariantCulture) ?? "not checked");
        report.Total("export attempts by outcome", OtlpLoadDriver.Describe(driver.Outcomes()));
        report.Total("time in checks after faults", ChaosReport.S(CheckTime));
        report.Total("wall time", ChaosReport.S(wall));
    }

    private Task WaitForLoadAsync(long spans, CancellationToken cancellationToken) =>
        driver.WaitForAcknowledgedAsync(spans, size.LoadBeforeFault * 3 + size.RecoveryTimeout, cancellationToken);

    /// <summary>
    /// After a fault is repaired at <paramref name="mark"/>: waits for an export sent after it to be acknowledged, then
    /// for that export's spans to be queryable (the whole path works again), then checks every span acknowledged so far.
    /// </summary>
    private async Task<FaultFigures> RecoverAsync(string name, TimeSpan outage, long mark, TimeSpan? ready, CancellationToken cancellationToken)
    {
        Step = $"{name}: waiting for an export sent after the repair";
        var (export, first) = await driver.WaitForExportStartedAfterAsync(mark, size.RecoveryTimeout, cancellationToken);
        var checking = Stopwatch.GetTimestamp();
        if (LoadOnlyAroundFaults)
        {
            driver.Pause();
        }

        VerificationResult fresh, check;
        Dictionary<string, SpanFingerprint[]> checkedSpans;
        TimeSpan exportQueryable, all;
        try
        {
            Step = $"{name}: reading back the first export after the repair";
            var firstSpans = SpanLedger.SpansOf(first);
            fresh = await verifier.VerifyAsync(firstSpans, size.RecoveryTimeout, null, cancellationToken);
            exportQueryable = Stopwatch.GetElapsedTime(mark);
            await RecordAsync(name + ", first export after it", firstSpans, fresh, cancellationToken);
            Step = $"{name}: reading back the {driver.Ledger.AcknowledgedCount} spans acknowledged so far (traces not yet verified)";
            (checkedSpans, check) = await CheckNewSpansAsync(cancellationToken);
            all = Stopwatch.GetElapsedTime(mark);
        }
        finally
        {
            driver.Resume();
        }

        CheckTime += Stopwatch.GetElapsedTime(checking);
        await RecordAsync(name, checkedSpans, check, cancellationToken);
        return new FaultFigures(name, outage, ready, export, fresh.MissingSpans == 0 ? exportQueryable : null, check.MissingSpans == 0 ? all : null,
            driver.Ledger.AcknowledgedCount, check.ExpectedSpans, check.MissingSpans, check.DuplicateSpans);
    }

    /// <summary>Checks the traces whose acknowledged spans were not all verified yet.</summary>
    private async Task<(Dictionary<string, SpanFingerprint[]> Checked, VerificationResult Result)> CheckNewSpansAsync(CancellationToken cancellationToken)
    {
        var snapshot = driver.Ledger.Acknowledged();
        var unverified = snapshot.Where(t => !_verified.TryGetValue(t.Key, out var n) || n < t.Value.Length).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var result = await verifier.VerifyAsync(unverified, SettleTimeout, null, cancellationToken);
        foreach (var traceId in result.CompleteTraces)
        {
            _verified[traceId] = unverified[traceId].Length;
        }

        return (unverified, result);
    }

    private async Task RecordAsync(string step, IReadOnlyDictionary<string, SpanFingerprint[]> acknowledged, VerificationResult check, CancellationToken cancellationToken)
    {
        ChaosReport.Log($"{step}: checked {check.ExpectedSpans} spans in {check.Traces} traces in {ChaosReport.S(check.TimeToComplete)} ({check.Lookups} lookups, {check.FailedLookups} failed); " +
            $"missing {check.MissingSpans}, duplicates {check.DuplicateSpans}, altered {check.AlteredSpans}, never sent {check.NeverSentSpans}, stored but not in the snapshot {check.UnacknowledgedSpans}");
        _altered += check.AlteredSpans;
        _neverSent += check.NeverSentSpans;
        if (check.MissingSpans > 0)
        {
            var examples = check.MissingByTrace.OrderBy(t => t.Key, StringComparer.Ordinal).Take(5).Select(t =>
                $"{t.Key}: {t.Value.Length} of {acknowledged[t.Key].Length} missing, span {string.Join(", ", t.Value.Take(3).Select(Hex))}{(t.Value.Length > 3 ? ", ..." : string.Empty)}");
            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{step}: {check.MissingSpans} of {check.ExpectedSpans} acknowledged spans not queryable");
            text.Append(CultureInfo.InvariantCulture, $" in {check.Traces - check.CompleteTraces.Count} traces; for example {string.Join("; ", examples)}");
            text.Append(await DescribeMissingAsync([.. check.Missing.Take(5).Select(m => (m.TraceId, m.Id))], cancellationToken));
            Failures.Add(text.ToString());
            ChaosReport.Log(text.ToString());
        }

        if (check.DuplicateSpans > 0)
        {
            Failures.Add($"{step}: {check.DuplicateSpans} duplicate (traceId, spanId) in Query.Api's answers");
        }

        if (check.AlteredSpans > 0 || check.NeverSentSpans > 0)
        {
            Failures.Add($"{step}: {check.AlteredSpans} spans read back with other content than was sent, {check.NeverSentSpans} spans read back that were never sent");
        }
    }

    /// <summary>A span ID as 16 lowercase hex digits, as in OTLP/JSON and Query.Api's answers.</summary>
    private static string Hex(ulong spanId) => spanId.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>For each span: the request that carried it, and the committed blocks that hold it, if any.</summary>
    private async Task<string> DescribeMissingAsync(IReadOnlyList<(string TraceId, ulong SpanId)> missing, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<(string TraceId, ulong SpanId), List<string>>? blocks = null;
        string? searchFailed = null;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(size.RecoveryTimeout);
            blocks = await stack.LocateSpansAsync(missing, deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException or Amazon.Runtime.AmazonServiceException && !cancellationToken.IsCancellationRequested)
        {
            searchFailed = $"block search failed: {e.GetType().Name}: {e.Message}";
        }

        var text = new StringBuilder();
        foreach (var (traceId, spanId) in missing)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  trace {traceId} span {Hex(spanId)}: {driver.DescribeSpan(traceId, spanId)}; ");
            text.Append(blocks is null ? searchFailed
                : blocks[(traceId, spanId)] is { Count: > 0 } where ? "stored in " + string.Join(" and ", where)
                : "in no committed block");
        }

        return text.ToString();
    }
}
