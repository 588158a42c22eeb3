using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.LoadGen.Verification;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class SpanLedgerTests
{
    private const string ShortTrace = "0af7651916cd43dd8448eb211c80319c";

    // Past the length from which a trace's spans are indexed rather than scanned.
    private const string LongTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static ExportTraceServiceRequest Request(params (string TraceId, int Spans, ulong FirstSpanId)[] traces)
    {
        var scope = new ScopeSpans();
        foreach (var (traceId, spans, first) in traces)
        {
            for (var i = 0UL; i < (ulong)spans; i++)
            {
                var id = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(id, first + i);
                scope.Spans.Add(new Span { TraceId = ByteString.CopyFrom(Convert.FromHexString(traceId)), SpanId = ByteString.CopyFrom(id), Name = "span " + (first + i) });
            }
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    [Fact]
    public void ASpanSentThenAcknowledgedIsCountedOnceAndKeepsItsFirstAcknowledgment()
    {
        var ledger = new SpanLedger();
        var request = Request((ShortTrace, 3, 1), (LongTrace, 100, 1_000));

        ledger.Sent(request);
        Assert.Equal(0, ledger.AcknowledgedCount);
        Assert.Empty(ledger.Acknowledged());

        ledger.Acknowledge(request, number: 7);
        ledger.Acknowledge(request, number: 9);
        ledger.Sent(request);

        Assert.Equal(103, ledger.AcknowledgedCount);
        Assert.Equal(2, ledger.AcknowledgedTraceCount);
        Assert.Equal(7, ledger.RequestOf(LongTrace, 1_099));
        Assert.Equal(7, ledger.RequestOf(ShortTrace, 2));
        Assert.Equal(100, ledger.Acknowledged()[LongTrace].Length);
    }

    [Fact]
    public void ASpanOnlySentIsNotAcknowledgedButItsContentIsKnown()
    {
        var ledger = new SpanLedger();
        var acknowledged = Request((LongTrace, 50, 1));
        var inFlight = Request((LongTrace, 1, 51));
        ledger.Acknowledge(acknowledged);
        ledger.Sent(inFlight);

        Assert.Equal(50, ledger.AcknowledgedCount);
        Assert.Null(ledger.RequestOf(LongTrace, 51));
        Assert.True(ledger.TryGetContent(LongTrace, 51, out var content));
        Assert.Equal(SpanLedger.SpansOf(inFlight)[LongTrace].Single().Content, content);
        Assert.False(ledger.TryGetContent(LongTrace, 52, out _));
        Assert.False(ledger.TryGetContent(ShortTrace, 1, out _));
    }
}
