using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Splitting;
using Xunit;

namespace OtelStorage.Otlp.Tests;

public sealed class SpanBatchSplitterTests
{
    [Fact]
    public void SmallRequestTravelsAsOneBatch()
    {
        var request = Request(resources: 2, scopes: 2, spansPerScope: 3, attributeBytes: 10);

        var batch = Assert.Single(SpanBatchSplitter.Split(request, 256 * 1024));

        Assert.Same(request, batch.Request);
        Assert.Equal(12, batch.SpanCount);
        Assert.Equal(request.CalculateSize(), batch.EncodedSize);
    }

    [Fact]
    public void UnchangedRequestThatFitsTravelsAsTheBytesItWasDecodedFrom()
    {
        var received = Request(resources: 1, scopes: 1, spansPerScope: 5, attributeBytes: 10).ToByteArray();
        var request = ExportTraceServiceRequest.Parser.ParseFrom(received);

        var batch = Assert.Single(SpanBatchSplitter.Split(request, 256 * 1024, received));

        Assert.Equal(received, batch.Encoded.ToArray());
        Assert.Equal(received.Length, batch.EncodedSize);
        Assert.Equal(5, batch.SpanCount);
    }

    [Fact]
    public void ReceivedBytesOverTheBudgetAreSplitAndEncodedAfresh()
    {
        var request = Request(resources: 1, scopes: 1, spansPerScope: 100, attributeBytes: 300);
        var received = request.ToByteArray();

        var batches = SpanBatchSplitter.Split(request, 16 * 1024, received);

        Assert.True(batches.Count > 1);
        Assert.All(batches, b => Assert.True(b.Encoded.IsEmpty));
    }

    [Fact]
    public void LargeRequestIsSplitUnderTheBudgetKeepingEverySpanWithItsResourceAndScope()
    {
        var request = Request(resources: 3, scopes: 2, spansPerScope: 50, attributeBytes: 300);
        var expected = Flatten(request.Clone());

        var batches = SpanBatchSplitter.Split(request, 16 * 1024);

        Assert.True(batches.Count > 1);
        foreach (var batch in batches)
        {
            Assert.True(batch.EncodedSize <= 16 * 1024, $"batch of {batch.EncodedSize} bytes");
            Assert.NotNull(batch.Request);
            Assert.Equal(batch.Request.CalculateSize(), batch.EncodedSize);
            Assert.Equal(SpanBatchSplitter.CountSpans(batch.Request), batch.SpanCount);
        }

        // Each batch must decode on its own, as the consumer sees it.
        var decoded = batches.Select(b => ExportTraceServiceRequest.Parser.ParseFrom(b.Request.ToByteArray()));
        Assert.Equal(expected, decoded.SelectMany(Flatten));
    }

    [Fact]
    public void SpanLargerThanTheBudgetTravelsAlone()
    {
        var request = Request(resources: 1, scopes: 1, spansPerScope: 3, attributeBytes: 40 * 1024);

        var batches = SpanBatchSplitter.Split(request, 16 * 1024);

        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(1, b.SpanCount));
    }

    private static IEnumerable<(string Resource, string Scope, string Span)> Flatten(ExportTraceServiceRequest request) =>
        request.ResourceSpans.SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans.Select(span =>
            (r.Resource.Attributes[0].Value.StringValue + "|" + r.SchemaUrl, s.Scope.Name + "|" + s.SchemaUrl, span.Name))));

    private static ExportTraceServiceRequest Request(int resources, int scopes, int spansPerScope, int attributeBytes)
    {
        var request = new ExportTraceServiceRequest();
        for (var r = 0; r < resources; r++)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "svc" + r } } } },
                SchemaUrl = "schema" + r,
            };
            for (var s = 0; s < scopes; s++)
            {
                var scopeSpans = new ScopeSpans { Scope = new InstrumentationScope { Name = $"scope{r}.{s}" }, SchemaUrl = "scope-schema" };
                for (var i = 0; i < spansPerScope; i++)
                {
                    var span = SpanValidatorTests.ValidSpan($"span {r}.{s}.{i}");
                    span.Attributes.Add(new KeyValue { Key = "payload", Value = new AnyValue { StringValue = new string('x', attributeBytes) } });
                    span.SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)((r * 1000) + (s * 100) + i + 1)));
                    scopeSpans.Spans.Add(span);
                }

                resourceSpans.ScopeSpans.Add(scopeSpans);
            }

            request.ResourceSpans.Add(resourceSpans);
        }

        return request;
    }
}
