using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class RealisticSpanGeneratorTests
{
    private static List<(string Service, Span Span)> Spans(int seed, int count) =>
        [.. new RealisticSpanGenerator(seed).Requests(count, 500)
            .SelectMany(r => r.ResourceSpans)
            .SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s =>
                (rs.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue, s))))];

    [Fact]
    public void TheSameSeedGivesTheSameBytes()
    {
        var first = new RealisticSpanGenerator(seed: 11).Requests(3_000, 500).Select(r => r.ToByteArray()).ToList();
        var second = new RealisticSpanGenerator(seed: 11).Requests(3_000, 500).Select(r => r.ToByteArray()).ToList();
        var other = new RealisticSpanGenerator(seed: 12).Requests(3_000, 500).Select(r => r.ToByteArray()).ToList();

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void RequestsHoldTheAskedNumberOfSpansInWholeTraces()
    {
        var requests = new RealisticSpanGenerator(seed: 1).Requests(10_000, 512).ToList();

        Assert.InRange(requests.Sum(r => r.ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count))), 10_000, 10_100);
        Assert.All(requests, r => Assert.InRange(r.ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count)), 1, 612));
    }

    [Fact]
    public void EveryTraceIsATreeWithOneRootAndKnownParents()
    {
        var traces = Spans(seed: 3, count: 20_000).GroupBy(s => s.Span.TraceId);

        foreach (var trace in traces)
        {
            var ids = trace.Select(s => s.Span.SpanId).ToHashSet();
            Assert.Single(trace, s => s.Span.ParentSpanId.IsEmpty);
            Assert.All(trace.Where(s => !s.Span.ParentSpanId.IsEmpty), s => Assert.Contains(s.Span.ParentSpanId, ids));
            Assert.Equal(trace.Count(), ids.Count);
        }
    }

    [Fact]
    public void TheDataSetHasMultiServiceTreesAllSpanKindsErrorsAndEvents()
    {
        var spans = Spans(seed: 5, count: 20_000);

        var servicesPerTrace = spans.GroupBy(s => s.Span.TraceId).Average(t => t.Select(s => s.Service).Distinct().Count());
        Assert.True(servicesPerTrace >= 2, $"traces span {servicesPerTrace:F1} services on average");
        foreach (var kind in new[] { Span.Types.SpanKind.Server, Span.Types.SpanKind.Client, Span.Types.SpanKind.Producer, Span.Types.SpanKind.Consumer, Span.Types.SpanKind.Internal })
        {
            Assert.Contains(spans, s => s.Span.Kind == kind);
        }

        var errors = spans.Count(s => s.Span.Status?.Code == Status.Types.StatusCode.Error);
        Assert.InRange(errors / (double)spans.Count, 0.001, 0.2);
        Assert.Contains(spans, s => s.Span.Events.Any(e => e.Name == "exception"));
        Assert.Contains(spans, s => s.Span.Attributes.Any(a => a.Key == "db.system" || a.Key == "db.system.name"));
        Assert.Contains(spans, s => s.Span.Attributes.Any(a => a.Key == "http.request.method"));
        Assert.Contains(spans, s => s.Span.Attributes.Any(a => a.Key == "messaging.system"));
    }
}
