using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using OtelStorage.Chaos.Tests.Load;
using OtelStorage.Chaos.Tests.Reporting;
using OtelStorage.Chaos.Tests.Stack;
using OtelStorage.LoadGen.Verification;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.Chaos.Tests;

/// <summary>
/// Issue #9, part 4: with the object store down, the batchers cannot write, the span queue fills to its size limit,
/// and Ingest.Api then throttles (RESOURCE_EXHAUSTED with RetryInfo over gRPC, 429 with Retry-After over HTTP)
/// instead of failing or dropping. When the store returns, the queue drains and every acknowledged span is stored.
/// </summary>
public sealed class BackpressureTests(BackpressureStack stack) : IClassFixture<BackpressureStack>
{
    private const string Throttled = "ResourceExhausted";

    [Fact]
    public async Task FullQueueThrottlesWithRetryInformationAndDrainsWithoutLossWhenTheStoreReturns()
    {
        var size = ChaosSize.Current;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(size.TestTimeout);
        var cancel = deadline.Token;
        var wall = Stopwatch.StartNew();
        var report = new ChaosReport($"Backpressure: s3rver down, {BackpressureStack.BackpressureQueueBytes / (1024 * 1024)} MiB queue limit", size);
        using var queue = new QueueProbe(stack.Broker, ChaosStack.Queue);
        // Heavier spans (about 1 KiB each), so the queue fills in seconds at the same span rate.
        var workload = new SpanWorkload(size.ActiveTraces, size.SpansPerTrace, size.SpansPerRequest, payloadBytes: 768);
        await using var driver = new OtlpLoadDriver(stack.IngestGrpc, workload, new LoadDriverOptions { SpansPerSecond = size.SpansPerSecond, MaxDuration = size.TestTimeout });
        var verifier = stack.Verifier(driver.Ledger, concurrency: 8);
        VerificationResult? final = null;
        HttpResponseSummary? http = null;
        (long Bytes, long ReadyBytes, long Messages) full = default;
        Dictionary<string, long> duringOutage = [];
        try
        {
            driver.Start();
            await driver.WaitForAcknowledgedAsync(size.SpansPerRequest * 10, size.RecoveryTimeout, cancel);

            ChaosReport.Log($"killing s3rver with {driver.Ledger.AcknowledgedCount} spans acknowledged");
            var before = driver.Outcomes();
            var killed = Stopwatch.GetTimestamp();
            stack.Store.Kill();
            await driver.WaitForOutcomeAsync(Throttled, before.GetValueOrDefault(Throttled), size.RecoveryTimeout, cancel);
            var filled = Stopwatch.GetElapsedTime(killed);
            ChaosReport.Log($"first RESOURCE_EXHAUSTED {ChaosReport.S(filled)} after the kill");

            http = await PostUntilThrottledAsync(driver, workload, size.RecoveryTimeout, cancel);
            full = await WaitForQueueBytesAsync(queue, BackpressureStack.BackpressureQueueBytes * 9 / 10, size.RecoveryTimeout, cancel);
            await Task.Delay(size.QueueFullHold, cancel); // how long the store stays down once the queue is full: a fixed fault duration
            duringOutage = Difference(driver.Outcomes(), before);

            var restart = Stopwatch.GetTimestamp();
            var outage = Stopwatch.GetElapsedTime(killed);
            await stack.Store.StartAsync(cancel).WaitAsync(size.RecoveryTimeout, cancel);
            var ready = Stopwatch.GetElapsedTime(restart);
            var (export, first) = await driver.WaitForExportStartedAfterAsync(restart, size.RecoveryTimeout, cancel);
            var fresh = await verifier.VerifyAsync(SpanLedger.SpansOf(first), size.RecoveryTimeout, null, cancel);
            var exportQueryable = Stopwatch.GetElapsedTime(restart);
            await WaitForEmptyQueueAsync(queue, size.RecoveryTimeout, cancel);
            var drained = Stopwatch.GetElapsedTime(restart);
            ChaosReport.Log($"queue drained {ChaosReport.S(drained)} after s3rver restarted");

            await driver.StopAsync(size.RecoveryTimeout);
            final = await verifier.VerifyAsync(driver.Ledger.Acknowledged(), size.RecoveryTimeout, null, cancel);
            report.Add(new FaultFigures("SIGKILL s3rver until the queue is full, then restart", outage, ready, export, fresh.MissingSpans == 0 ? exportQueryable : null,
                final.MissingSpans == 0 ? Stopwatch.GetElapsedTime(restart) : null, driver.Ledger.AcknowledgedCount, final.ExpectedSpans, final.MissingSpans, final.DuplicateSpans));
            report.Total("queue full (first RESOURCE_EXHAUSTED) after", ChaosReport.S(filled));
            report.Total("queue drained (no ready message) after the restart", ChaosReport.S(drained));
        }
        finally
        {
            report.Total("queue when full (management API)", $"{full.ReadyBytes:N0} bytes of ready messages (limit {BackpressureStack.BackpressureQueueBytes:N0}); {full.Bytes:N0} bytes in {full.Messages} messages with those the batchers hold unacknowledged");
            report.Total("OTLP/HTTP while full", http?.ToString() ?? "not probed");
            report.Total("export attempts while the store was down", OtlpLoadDriver.Describe(duringOutage));
            report.Total("spans acknowledged", driver.Ledger.AcknowledgedCount);
            report.Total("spans lost", final?.MissingSpans.ToString(CultureInfo.InvariantCulture) ?? "not checked");
            report.Total("duplicates visible", final?.DuplicateSpans.ToString(CultureInfo.InvariantCulture) ?? "not checked");
            report.Total("spans read back altered / never sent", final is null ? "not checked" : $"{final.AlteredSpans} / {final.NeverSentSpans}");
            report.Total("requests abandoned (spans)", $"{driver.RequestsAbandoned} ({driver.SpansAbandoned})");
            report.Total("export attempts by outcome", OtlpLoadDriver.Describe(driver.Outcomes()));
            report.Total("wall time", ChaosReport.S(wall.Elapsed));
            await report.WriteAsync(CancellationToken.None);
        }

        // Throttled, not failed: while the store was down every answer was a success or RESOURCE_EXHAUSTED with RetryInfo.
        Assert.True(duringOutage.GetValueOrDefault(Throttled) > 0, OtlpLoadDriver.Describe(duringOutage));
        Assert.True(duringOutage.Keys.All(k => k is "OK" or Throttled), "while the store was down: " + OtlpLoadDriver.Describe(duringOutage));
        Assert.Equal(HttpStatusCode.TooManyRequests, http.Status);
        Assert.True(http.RetryAfter >= TimeSpan.FromSeconds(1), http.ToString());
        Assert.Equal((int)Google.Rpc.Code.ResourceExhausted, http.RpcCode);
        // Not dropped: once the store returned, everything acknowledged was stored, once and intact.
        Assert.True(final.MissingSpans == 0, $"{final.MissingSpans} acknowledged spans lost; {string.Join("; ", final.Missing.Take(5).Select(m => $"trace {m.TraceId} span {m.SpanId}"))}\n{stack.DescribeOutput()}");
        Assert.Equal(0, final.DuplicateSpans);
        Assert.Equal(0, final.AlteredSpans);
        Assert.Equal(0, final.NeverSentSpans);
        Assert.Equal(0, driver.RequestsAbandoned);
    }

    /// <summary>Posts OTLP/HTTP protobuf until one is throttled; a request accepted meanwhile is acknowledged like any other.</summary>
    private async Task<HttpResponseSummary> PostUntilThrottledAsync(OtlpLoadDriver driver, SpanWorkload workload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var request = NextRequest(workload);
            using var content = new ByteArrayContent(request.ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var response = await http.PostAsync(stack.HttpTracesUri, content, deadline.Token);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                driver.Ledger.Acknowledge(request);
                await Task.Delay(100, deadline.Token);
                continue;
            }

            var status = Google.Rpc.Status.Parser.ParseFrom(body);
            return new HttpResponseSummary(response.StatusCode, response.Headers.RetryAfter?.Delta, status.Code, status.Message);
        }
    }

    /// <summary>The workload is single-threaded and the driver's producer owns it, so the probe builds its own requests.</summary>
    private static OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest NextRequest(SpanWorkload driverWorkload) =>
        new SpanWorkload(1, driverWorkload.SpansPerRequest, driverWorkload.SpansPerRequest, payloadBytes: 768).NextRequest();

    // Ready messages only: those the batchers hold unacknowledged do not count against the limit. The broker samples
    // queue statistics every 5 s, so this lags the queue itself.
    private static Task<(long Bytes, long ReadyBytes, long Messages)> WaitForQueueBytesAsync(QueueProbe queue, long bytes, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.ValueAsync(
            queue.StatisticsAsync,
            statistics => statistics.ReadyBytes >= bytes,
            timeout,
            cancellationToken,
            what: $"at least {bytes} bytes of ready messages in the queue",
            describe: statistics => $"{statistics.ReadyBytes} bytes ready",
            interval: TimeSpan.FromMilliseconds(500));

    private static Task WaitForEmptyQueueAsync(QueueProbe queue, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.ValueAsync(
            queue.ReadyMessagesAsync,
            ready => ready == 0,
            timeout,
            cancellationToken,
            what: "no ready message in the queue",
            describe: ready => $"{ready} messages ready");

    private static Dictionary<string, long> Difference(IReadOnlyDictionary<string, long> after, IReadOnlyDictionary<string, long> before) =>
        after.Select(o => (o.Key, Count: o.Value - before.GetValueOrDefault(o.Key))).Where(o => o.Count > 0).ToDictionary(o => o.Key, o => o.Count, StringComparer.Ordinal);

    private sealed record HttpResponseSummary(HttpStatusCode Status, TimeSpan? RetryAfter, int RpcCode, string Message)
    {
        public override string ToString() =>
            $"HTTP {(int)Status}, Retry-After {RetryAfter?.TotalSeconds.ToString(CultureInfo.InvariantCulture) ?? "none"} s, google.rpc.Status code {RpcCode}: {Message}";
    }
}
