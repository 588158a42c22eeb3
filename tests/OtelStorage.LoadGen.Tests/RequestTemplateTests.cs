using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.LoadGen.Workload;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class RequestTemplateTests
{
    private const ulong Now = 1_800_000_000_000_000_000;

    private static readonly ExportTraceServiceRequest Generated = new RealisticSpanGenerator(seed: 7).NextRequest(2_000);

    private static List<Span> Spans(ExportTraceServiceRequest request) =>
        [.. request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)];

    private static ExportTraceServiceRequest Patch(RequestTemplate template, UniqueIds ids, ulong now = Now)
    {
        using var patched = template.Patch(ids, now);
        return ExportTraceServiceRequest.Parser.ParseFrom(patched.Bytes.Span);
    }

    [Fact]
    public void APatchedRequestDiffersFromItsTemplateOnlyInIdsAndTimestamps()
    {
        var template = RequestTemplate.From(Generated);

        var patched = Patch(template, new UniqueIds(1));

        // Put the template's IDs and times back: what is left must be the template, field for field.
        var restored = patched.Clone();
        var original = Spans(Generated);
        var spans = Spans(restored);
        Assert.Equal(original.Count, spans.Count);
        Assert.Equal(original.Count, template.SpanCount);
        Assert.Contains(original, s => s.Events.Count > 0);
        for (var i = 0; i < spans.Count; i++)
        {
            Assert.NotEqual(original[i].SpanId, spans[i].SpanId);
            spans[i].TraceId = original[i].TraceId;
            spans[i].SpanId = original[i].SpanId;
            spans[i].ParentSpanId = original[i].ParentSpanId;
            spans[i].StartTimeUnixNano = original[i].StartTimeUnixNano;
            spans[i].EndTimeUnixNano = original[i].EndTimeUnixNano;
            for (var e = 0; e < spans[i].Events.Count; e++)
            {
                spans[i].Events[e].TimeUnixNano = original[i].Events[e].TimeUnixNano;
            }
        }

        Assert.Equal(Generated, restored);
        Assert.Equal(Generated.ToByteArray(), template.Bytes.ToArray());
    }

    [Fact]
    public void EachTraceGetsOneFreshTraceIdSharedByAllItsSpans()
    {
        var template = RequestTemplate.From(Generated);

        var patched = Spans(Patch(template, new UniqueIds(1)));

        var original = Spans(Generated);
        var newIdsByOriginalTrace = original.Select((s, i) => (Original: s.TraceId, New: patched[i].TraceId))
            .GroupBy(p => p.Original)
            .ToDictionary(g => g.Key, g => g.Select(p => p.New).Distinct().ToList());
        Assert.True(newIdsByOriginalTrace.Count > 10, $"only {newIdsByOriginalTrace.Count} traces");
        Assert.Equal(newIdsByOriginalTrace.Count, template.TraceCount);
        Assert.All(newIdsByOriginalTrace.Values, ids => Assert.Single(ids));
        var newIds = newIdsByOriginalTrace.Values.Select(ids => ids[0]).ToList();
        Assert.Equal(newIds.Count, newIds.Distinct().Count());
        Assert.DoesNotContain(newIds, id => newIdsByOriginalTrace.ContainsKey(id));
        Assert.All(newIds, id => Assert.Equal(16, id.Length));
    }

    [Fact]
    public void EachParentIsTheNewIdOfTheSameOriginalSpan()
    {
        var template = RequestTemplate.From(Generated);

        var patched = Spans(Patch(template, new UniqueIds(1)));

        var original = Spans(Generated);
        var indexOfOriginal = original.Select((s, i) => (s.SpanId, i)).ToDictionary(p => p.SpanId, p => p.i);
        Assert.Contains(original, s => s.ParentSpanId.IsEmpty);
        for (var i = 0; i < original.Count; i++)
        {
            if (original[i].ParentSpanId.IsEmpty)
            {
                Assert.True(patched[i].ParentSpanId.IsEmpty);
            }
            else
            {
                Assert.Equal(patched[indexOfOriginal[original[i].ParentSpanId]].SpanId, patched[i].ParentSpanId);
            }
        }
    }

    [Fact]
    public void AParentOutsideTheRequestStaysOutsideIt()
    {
        var trace = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(b => (byte)b).ToArray());
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "cart" } } } },
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Spans =
                            {
                                NewSpan(trace, spanId: 1, parentSpanId: 9),
                                NewSpan(trace, spanId: 2, parentSpanId: 1),
                            },
                        },
                    },
                },
            },
        };
        var template = RequestTemplate.From(request);

        var patched = Spans(Patch(template, new UniqueIds(1)));

        var ids = patched.Select(s => s.SpanId).ToHashSet();
        Assert.Equal(Spans(request)[0].ParentSpanId, patched[0].ParentSpanId);
        Assert.DoesNotContain(patched[0].ParentSpanId, ids);
        Assert.Equal(patched[0].SpanId, patched[1].ParentSpanId);
    }

    [Fact]
    public void TimestampsMoveByExactlyTheShiftSoTheEarliestStartIsNow()
    {
        var template = RequestTemplate.From(Generated);

        var patched = Spans(Patch(template, new UniqueIds(1)));

        var original = Spans(Generated);
        var shift = Now - original.Min(s => s.StartTimeUnixNano);
        Assert.Equal(original.Min(s => s.StartTimeUnixNano), template.BaseTimeUnixNano);
        Assert.Equal(Now, patched.Min(s => s.StartTimeUnixNano));
        for (var i = 0; i < original.Count; i++)
        {
            Assert.Equal(original[i].StartTimeUnixNano + shift, patched[i].StartTimeUnixNano);
            Assert.Equal(original[i].EndTimeUnixNano + shift, patched[i].EndTimeUnixNano);
            Assert.Equal(original[i].EndTimeUnixNano - original[i].StartTimeUnixNano, patched[i].EndTimeUnixNano - patched[i].StartTimeUnixNano);
            Assert.Equal(original[i].Events.Select(e => e.TimeUnixNano + shift), patched[i].Events.Select(e => e.TimeUnixNano));
        }
    }

    [Fact]
    public void TwoSendsOfTheSameTemplateShareNoIds()
    {
        var pool = new RequestTemplatePool([RequestTemplate.From(Generated)], new UniqueIds(1));

        var first = Spans(Patch(pool, Now));
        var second = Spans(Patch(pool, Now + 1_000));

        Assert.Empty(first.Select(s => s.TraceId).Intersect(second.Select(s => s.TraceId)));
        Assert.Empty(first.Select(s => s.SpanId).Intersect(second.Select(s => s.SpanId)));
        Assert.DoesNotContain(first.Concat(second), s => s.SpanId.Span.SequenceEqual(new byte[8]));
        Assert.Equal(first.Select(s => s.StartTimeUnixNano + 1_000), second.Select(s => s.StartTimeUnixNano));
    }

    [Fact]
    public void TheSameSeedPatchesTheSameIds()
    {
        var template = RequestTemplate.From(Generated);

        var first = Patch(template, new UniqueIds(5));
        var second = Patch(template, new UniqueIds(5));
        var other = Patch(template, new UniqueIds(6));

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void TemplatesRefuseSpanLinksTheyCouldNotPatch()
    {
        var request = Generated.Clone();
        Spans(request)[0].Links.Add(new Span.Types.Link { TraceId = Spans(request)[1].TraceId, SpanId = Spans(request)[1].SpanId });

        Assert.Throws<NotSupportedException>(() => RequestTemplate.From(request));
    }

    private static ExportTraceServiceRequest Patch(RequestTemplatePool pool, ulong now)
    {
        using var patched = pool.Next(now);
        return ExportTraceServiceRequest.Parser.ParseFrom(patched.Bytes.Span);
    }

    private static Span NewSpan(ByteString traceId, byte spanId, byte parentSpanId) => new()
    {
        TraceId = traceId,
        SpanId = ByteString.CopyFrom([0, 0, 0, 0, 0, 0, 0, spanId]),
        ParentSpanId = ByteString.CopyFrom([0, 0, 0, 0, 0, 0, 0, parentSpanId]),
        Name = "span " + spanId,
        StartTimeUnixNano = 1_000,
        EndTimeUnixNano = 2_000,
    };
}
