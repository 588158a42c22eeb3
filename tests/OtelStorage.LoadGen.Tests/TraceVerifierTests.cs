using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.LoadGen.Verification;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class TraceVerifierTests
{
    private const string TraceA = "0af7651916cd43dd8448eb211c80319c";
    private const string TraceB = "4bf92f3577b34da6a3ce929d0e0e4736";

    /// <summary>A trace store that answers from a table, and can make a trace appear only after some reads.</summary>
    /// <param name="traces">What the store holds, as it would return it.</param>
    /// <param name="readsBeforeVisible">Trace reads answered "unknown trace" first, as before a block is written.</param>
    /// <param name="readTime">How long each request takes, to make one pass over the traces outlast the timeout.</param>
    /// <param name="answers">When given, the answer to each trace read in turn (null: the request holding it failed); the table after the last.</param>
    private sealed class TableTraceSource(
        Dictionary<string, List<SpanFingerprint>> traces,
        int readsBeforeVisible = 0,
        TimeSpan readTime = default,
        params List<SpanFingerprint>?[] answers) : ITraceSource
    {
        private int _reads;

        public List<string[]> Requests { get; } = [];

        public async Task<IReadOnlyDictionary<string, IReadOnlyList<SpanFingerprint>>?> GetSpansAsync(IReadOnlyList<string> traceIdsHex, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add([.. traceIdsHex]);
            }

            if (readTime > TimeSpan.Zero)
            {
                await Task.Delay(readTime, cancellationToken);
            }

            var found = new Dictionary<string, IReadOnlyList<SpanFingerprint>>();
            foreach (var traceId in traceIdsHex)
            {
                var read = Interlocked.Increment(ref _reads);
                if (read <= answers.Length)
                {
                    if (answers[read - 1] is not { } answer)
                    {
                        return null;
                    }

                    found[traceId] = answer;
                }
                else if (read > readsBeforeVisible && traces.TryGetValue(traceId, out var spans))
                {
                    found[traceId] = spans;
                }
            }

            return found;
        }
    }

    /// <summary>An export request with one span per (trace, span ID), named by <paramref name="name"/>.</summary>
    private static ExportTraceServiceRequest Request(IEnumerable<(string TraceId, ulong SpanId)> spans, Func<ulong, string>? name = null)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "verifier-tests" } };
        foreach (var (traceId, spanId) in spans)
        {
            var id = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(id, spanId);
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Convert.FromHexString(traceId)),
                SpanId = ByteString.CopyFrom(id),
                Name = name?.Invoke(spanId) ?? "GET /api/orders",
                StartTimeUnixNano = 1_800_000_000_000_000_000,
                EndTimeUnixNano = 1_800_000_000_250_000_000,
            });
        }

        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "orders" } } } },
                    ScopeSpans = { scope },
                },
            },
        };
    }

    private static IEnumerable<(string TraceId, ulong SpanId)> Spans(string traceId, params ulong[] spanIds) => spanIds.Select(s => (traceId, s));

    /// <summary>The spans of <paramref name="request"/> as a store would return them, by trace.</summary>
    private static Dictionary<string, List<SpanFingerprint>> Stored(ExportTraceServiceRequest request) =>
        SpanContent.Of(request.ResourceSpans)
            .GroupBy(s => Convert.ToHexStringLower(s.TraceId.Span), s => s.Span)
            .ToDictionary(t => t.Key, t => t.ToList());

    /// <summary>A ledger with spans 1, 2, 3 of trace A and 10, 11 of trace B acknowledged.</summary>
    private static (SpanLedger Ledger, ExportTraceServiceRequest Request) Acknowledged()
    {
        var request = Request([.. Spans(TraceA, 1, 2, 3), .. Spans(TraceB, 10, 11)]);
        var ledger = new SpanLedger();
        ledger.Acknowledge(request);
        return (ledger, request);
    }

    [Fact]
    public async Task PassesWhenEverySpanIsStoredOnceAndIntact()
    {
        var (ledger, request) = Acknowledged();
        var stored = Stored(request);
        stored[TraceA].Reverse();

        var result = await new TraceVerifier(new TableTraceSource(stored), ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.Equal(5, result.FoundSpans);
        Assert.Equal(0, result.MissingSpans);
        Assert.Equal(2, result.CompleteTraces.Count);
    }

    [Fact]
    public async Task CountsMissingSpansAndUnknownTracesAfterTheTimeout()
    {
        var (ledger, _) = Acknowledged();
        var source = new TableTraceSource(Stored(Request(Spans(TraceA, 1, 3))));

        var result = await new TraceVerifier(source, ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromMilliseconds(100), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(5, result.ExpectedSpans);
        Assert.Equal(2, result.FoundSpans);
        Assert.Equal(3, result.MissingSpans);
        // Each missing span is named, so a failed run says which lookups to replay.
        Assert.Equal(3, result.Missing.Count);
        Assert.Contains(new MissingSpan(TraceA, 2), result.Missing);
        Assert.Equal("0000000000000002", result.Missing.Single(m => m.TraceId == TraceA).SpanId);
        Assert.Equal(2, result.Missing.Count(m => m.TraceId != TraceA));
        Assert.Equal([2UL], result.MissingByTrace[TraceA]);
        Assert.Equal([10UL, 11UL], result.MissingByTrace[TraceB]);
    }

    [Fact]
    public async Task CountsSpansReturnedTwiceAndSpansNeverSent()
    {
        var (ledger, request) = Acknowledged();
        var stored = Stored(request);
        stored[TraceA].Add(stored[TraceA][1]);
        stored[TraceB].AddRange(Stored(Request(Spans(TraceB, 99)))[TraceB]);

        var result = await new TraceVerifier(new TableTraceSource(stored), ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(1, result.DuplicateSpans);
        Assert.Equal(1, result.NeverSentSpans);
        Assert.Equal(0, result.MissingSpans);
    }

    [Fact]
    public async Task AnAcknowledgedSpanReadBackWithOtherContentThanWasSentFails()
    {
        var (ledger, _) = Acknowledged();
        var renamed = Request([.. Spans(TraceA, 1, 2, 3), .. Spans(TraceB, 10, 11)], name: s => s == 2 ? "GET /api/other" : "GET /api/orders");

        var result = await new TraceVerifier(new TableTraceSource(Stored(renamed)), ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(1, result.AlteredSpans);
        Assert.Equal(0, result.MissingSpans);
    }

    [Fact]
    public async Task ASpanSentAndNeverAcknowledgedMayBeStoredIntactOnce()
    {
        var (ledger, request) = Acknowledged();
        var unanswered = Request(Spans(TraceA, 4));
        ledger.Sent(unanswered);
        var stored = Stored(request);
        stored[TraceA].AddRange(Stored(unanswered)[TraceA]);

        var result = await new TraceVerifier(new TableTraceSource(stored), ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.Equal(1, result.UnacknowledgedSpans);
        Assert.Equal(5, result.ExpectedSpans);
    }

    [Fact]
    public async Task ASpanSentAndNeverAcknowledgedFailsWhenStoredAlteredOrTwice()
    {
        var (ledger, request) = Acknowledged();
        ledger.Sent(Request([.. Spans(TraceA, 4), .. Spans(TraceB, 12)]));
        var stored = Stored(request);
        stored[TraceA].AddRange(Stored(Request(Spans(TraceA, 4), name: _ => "changed"))[TraceA]);
        stored[TraceB].AddRange(Stored(Request(Spans(TraceB, 12, 12)))[TraceB]);

        var result = await new TraceVerifier(new TableTraceSource(stored), ledger).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Equal(1, result.AlteredSpans);
        Assert.Equal(1, result.DuplicateSpans);
    }

    [Fact]
    public async Task ADuplicateInAnEarlierAnswerFailsEvenWhenALaterAnswerIsClean()
    {
        var request = Request(Spans(TraceA, 1, 2));
        var ledger = new SpanLedger();
        ledger.Acknowledge(request);
        var clean = Stored(request)[TraceA];
        // The first answer lacks span 2 and holds span 1 twice, so the trace is asked again; the second is clean.
        var source = new TableTraceSource(new() { [TraceA] = clean }, answers: [[clean[0], clean[0]]]);

        var result = await new TraceVerifier(source, ledger, new VerificationOptions { PollInterval = TimeSpan.FromMilliseconds(10) })
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.Equal(0, result.MissingSpans);
        Assert.Equal(1, result.DuplicateSpans);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task AFailedLookupIsCountedAndTheTraceAskedAgain()
    {
        var request = Request(Spans(TraceA, 1, 2));
        var ledger = new SpanLedger();
        ledger.Acknowledge(request);
        var source = new TableTraceSource(Stored(request), answers: [null]);

        var result = await new TraceVerifier(source, ledger, new VerificationOptions { PollInterval = TimeSpan.FromMilliseconds(10) })
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.Equal(2, result.Lookups);
        Assert.Equal(1, result.FailedLookups);
    }

    [Fact]
    public async Task WaitsForTracesThatBecomeVisibleLater()
    {
        var (ledger, request) = Acknowledged();
        var source = new TableTraceSource(Stored(request), readsBeforeVisible: 4);
        var options = new VerificationOptions();

        var result = await new TraceVerifier(source, ledger, options).VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(30), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.True(result.TimeToComplete >= options.PollInterval);
    }

    [Fact]
    public async Task ATraceNotYetVisibleAtItsFirstCheckIsAskedAgainWhenThePassOutlastsTheTimeout()
    {
        var (ledger, request) = Acknowledged();
        // One read at a time, each slower than the whole timeout: the first pass ends after the deadline.
        var source = new TableTraceSource(Stored(request), readsBeforeVisible: 1, readTime: TimeSpan.FromMilliseconds(200));

        var result = await new TraceVerifier(source, ledger, new VerificationOptions { Concurrency = 1 })
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.FromMilliseconds(50), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed, $"missing {result.MissingSpans}");
        Assert.Equal(1, result.LateTraces);
    }

    [Fact]
    public async Task IncompleteTracesAreAskedAgainForTheGraceAfterTheFirstPass()
    {
        var request = Request(Spans(TraceA, 1, 2));
        var ledger = new SpanLedger();
        ledger.Acknowledge(request);
        var quick = new VerificationOptions { PollInterval = TimeSpan.FromMilliseconds(20) };

        // Visible from the fourth read: with no grace and no time left, the first pass is the last.
        var once = await new TraceVerifier(new TableTraceSource(Stored(request), readsBeforeVisible: 3), ledger, quick)
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.Zero, null, TestContext.Current.CancellationToken);
        var withGrace = await new TraceVerifier(new TableTraceSource(Stored(request), readsBeforeVisible: 3), ledger, quick with { GraceAfterFirstPass = TimeSpan.FromSeconds(10) })
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.Zero, null, TestContext.Current.CancellationToken);

        Assert.Equal(2, once.MissingSpans);
        Assert.Equal(1, once.Lookups);
        Assert.True(withGrace.Passed, $"missing {withGrace.MissingSpans}");
        Assert.Equal(4, withGrace.Lookups);
    }

    [Fact]
    public async Task AsksTracesInBatchesInTraceIdOrder()
    {
        var ids = Enumerable.Range(0, 25).Select(i => Convert.ToHexStringLower(BitConverter.GetBytes(i * 7919L).Concat(new byte[8]).ToArray())).ToList();
        var request = Request(ids.SelectMany(t => Spans(t, 1, 2)));
        var ledger = new SpanLedger();
        ledger.Acknowledge(request);
        var source = new TableTraceSource(Stored(request));

        var result = await new TraceVerifier(source, ledger, new VerificationOptions { Concurrency = 1, BatchSize = 10 })
            .VerifyAsync(ledger.Acknowledged(), TimeSpan.FromSeconds(5), null, TestContext.Current.CancellationToken);

        Assert.True(result.Passed);
        Assert.Equal([10, 10, 5], source.Requests.Select(r => r.Length));
        Assert.Equal(ids.Order(StringComparer.Ordinal), source.Requests.SelectMany(r => r));
    }
}
