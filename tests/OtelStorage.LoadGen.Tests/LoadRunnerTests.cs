using System.Buffers.Binary;
using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.LoadGen.Running;
using OtelStorage.LoadGen.Sending;
using OtelStorage.LoadGen.Verification;
using OtelStorage.LoadGen.Workload;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class LoadRunnerTests
{
    /// <summary>
    /// Isolates the runner from the network: acknowledges or fails every n-th request, and keeps the trace and span
    /// IDs and content fingerprints of the requests it acknowledged, parsed from the bytes it was given.
    /// </summary>
    private sealed class ScriptedSender(int failEvery = 0, long rejectEach = 0) : OtlpSender
    {
        private int _calls;

        public ConcurrentBag<(string TraceId, ulong SpanId)> AcknowledgedIds { get; } = [];

        public ConcurrentBag<(string TraceId, SpanFingerprint Span)> AcknowledgedSpans { get; } = [];

        public override Task<SendResult> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            if (failEvery > 0 && call % failEvery == 0)
            {
                return Task.FromResult(SendResult.Failure("http 503"));
            }

            var parsed = ExportTraceServiceRequest.Parser.ParseFrom(request.Span);
            foreach (var span in parsed.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                AcknowledgedIds.Add((Convert.ToHexStringLower(span.TraceId.Span), BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span)));
            }

            foreach (var (traceId, span) in SpanContent.Of(parsed.ResourceSpans))
            {
                AcknowledgedSpans.Add((Convert.ToHexStringLower(traceId.Span), span));
            }

            return Task.FromResult(SendResult.Success(rejectEach));
        }

        public override void Dispose()
        {
        }
    }

    private static LoadRunner Runner(LoadOptions options, OtlpSender sender) =>
        new(options, sender, RequestTemplatePool.Generate(options.Seed, options.IdSeed, options.BatchSize, options.TemplatePoolSpans()));

    private static List<(string TraceId, ulong SpanId)> Ids(SpanLedger ledger) =>
        [.. ledger.Acknowledged().SelectMany(t => t.Value.Select(span => (t.Key, span.SpanId))).Order()];

    [Fact]
    public async Task SendsTheAskedSpansInWholeTracesAndTracksEveryAcknowledgedOne()
    {
        using var sender = new ScriptedSender();
        var runner = Runner(new LoadOptions { TotalSpans = 5_000, BatchSize = 256, TrackAcknowledged = true }, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);

        // Requests hold whole traces, so the last one may overshoot by less than one trace.
        Assert.InRange(runner.Statistics.SpansSent, 5_000, 5_100);
        Assert.Equal(runner.Statistics.SpansSent, runner.Statistics.SpansAcknowledged);
        Assert.Equal(runner.Statistics.SpansSent, runner.Ledger.AcknowledgedCount);
        Assert.Equal(runner.Statistics.Requests, runner.Statistics.Latency.Count);
        Assert.Equal([.. sender.AcknowledgedIds.Order()], Ids(runner.Ledger));
    }

    [Fact]
    public async Task TheLedgerFingerprintsEachSpanFromThePatchedBytesAsFromTheParsedRequest()
    {
        using var sender = new ScriptedSender();
        var runner = Runner(new LoadOptions { TotalSpans = 3_000, BatchSize = 256, TemplateSpans = 1_000, TrackAcknowledged = true }, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);

        // The verifier compares the ledger's fingerprints with those of spans parsed from Query.Api's answers.
        var parsed = sender.AcknowledgedSpans.Select(s => (s.TraceId, s.Span.SpanId, s.Span.Content)).Order().ToList();
        Assert.Equal(parsed, [.. runner.Ledger.Acknowledged().SelectMany(t => t.Value.Select(span => (t.Key, span.SpanId, span.Content))).Order()]);
        Assert.True(parsed.Select(s => s.Content).Distinct().Count() > parsed.Count / 2, "fingerprints must tell spans apart");
    }

    [Fact]
    public async Task AcknowledgedSpansHoldExactlyThePatchedIdsOfAcceptedRequestsWhenTemplatesRepeat()
    {
        using var sender = new ScriptedSender(failEvery: 3);
        var options = new LoadOptions { TotalSpans = 6_000, BatchSize = 300, TemplateSpans = 1_000, TrackAcknowledged = true };
        var runner = Runner(options, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);

        var sent = sender.AcknowledgedIds.Order().ToList();
        Assert.True(runner.Statistics.FailedRequests > 0);
        Assert.Equal(runner.Statistics.SpansAcknowledged, sent.Count);
        Assert.Equal(sent, Ids(runner.Ledger));
        Assert.Equal(sent.Count, sent.Select(s => s.SpanId).Distinct().Count());
    }

    [Fact]
    public async Task RunsWithTheSameDataSeedButAnotherIdSeedShareNoId()
    {
        using var first = new ScriptedSender();
        using var second = new ScriptedSender();
        var options = new LoadOptions { TotalSpans = 3_000, BatchSize = 256, TrackAcknowledged = true, Seed = 7 };

        await Runner(options with { IdSeed = 1 }, first).RunAsync(TestContext.Current.CancellationToken);
        await Runner(options with { IdSeed = 2 }, second).RunAsync(TestContext.Current.CancellationToken);

        Assert.Empty(first.AcknowledgedIds.Select(i => i.TraceId).Intersect(second.AcknowledgedIds.Select(i => i.TraceId)));
        Assert.Empty(first.AcknowledgedIds.Select(i => i.SpanId).Intersect(second.AcknowledgedIds.Select(i => i.SpanId)));
    }

    [Fact]
    public async Task FailedRequestsAreCountedByKindAndNotVerified()
    {
        using var sender = new ScriptedSender(failEvery: 2);
        var runner = Runner(new LoadOptions { TotalSpans = 4_000, BatchSize = 200, TrackAcknowledged = true }, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);

        Assert.InRange(runner.Statistics.SpansSent, 4_000, 4_100);
        Assert.True(runner.Statistics.FailedRequests > 0);
        Assert.Equal(runner.Statistics.FailedRequests, runner.Statistics.ErrorsByKind["http 503"]);
        Assert.Equal(runner.Statistics.SpansAcknowledged, runner.Ledger.AcknowledgedCount);
        Assert.True(runner.Ledger.AcknowledgedCount < 4_000);

        // The result line says the run failed on refused requests, not on lost spans.
        var text = new StringWriter();
        RunSummary.From(runner, new LoadOptions(), verification: null).WriteText(text);
        Assert.Contains($"result: FAILED ({runner.Statistics.FailedRequests:N0} requests failed)", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartialSuccessIsReportedAndItsSpansAreLeftOutOfVerification()
    {
        using var sender = new ScriptedSender(rejectEach: 1);
        var runner = Runner(new LoadOptions { TotalSpans = 1_000, BatchSize = 100, TrackAcknowledged = true }, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);
        var summary = RunSummary.From(runner, new LoadOptions(), verification: null);

        Assert.Equal(runner.Statistics.Requests, runner.Statistics.SpansRejected);
        Assert.Equal(0, runner.Ledger.AcknowledgedCount);
        Assert.False(summary.Succeeded);
    }

    [Fact]
    public async Task ATargetRatePacesTheRun()
    {
        using var sender = new ScriptedSender();
        var runner = Runner(new LoadOptions { TotalSpans = 3_000, BatchSize = 500, Rate = 10_000 }, sender);

        await runner.RunAsync(TestContext.Current.CancellationToken);

        // 3,000 spans at 10,000/s: the last request is due after 0.25 s at the earliest.
        Assert.True(runner.Elapsed.Elapsed >= TimeSpan.FromSeconds(0.25), $"took {runner.Elapsed.Elapsed}");
    }
}
