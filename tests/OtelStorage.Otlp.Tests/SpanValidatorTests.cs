using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Validation;
using Xunit;

namespace OtelStorage.Otlp.Tests;

public sealed class SpanValidatorTests
{
    public static Span ValidSpan(string name = "op") => new()
    {
        TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
        SpanId = ByteString.CopyFrom(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray()),
        Name = name,
        StartTimeUnixNano = 1000,
        EndTimeUnixNano = 2000,
    };

    public static TheoryData<string, string> InvalidSpans => new()
    {
        { "short trace id", "traceId must be 16 bytes" },
        { "zero trace id", "traceId must not be all zeros" },
        { "long span id", "spanId must be 8 bytes" },
        { "zero span id", "spanId must not be all zeros" },
        { "bad parent", "parentSpanId must be empty or 8 bytes" },
        { "no name", "name must not be empty" },
        { "end before start", "must not be before startTimeUnixNano" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpans))]
    public void InvalidSpansAreRemovedAndTheFirstProblemIsNamed(string defect, string expected)
    {
        var bad = ValidSpan(defect);
        switch (defect)
        {
            case "short trace id": bad.TraceId = ByteString.CopyFrom(new byte[15]); break;
            case "zero trace id": bad.TraceId = ByteString.CopyFrom(new byte[16]); break;
            case "long span id": bad.SpanId = ByteString.CopyFrom(new byte[9]); break;
            case "zero span id": bad.SpanId = ByteString.CopyFrom(new byte[8]); break;
            case "bad parent": bad.ParentSpanId = ByteString.CopyFrom(new byte[4]); break;
            case "no name": bad.Name = string.Empty; break;
            case "end before start": bad.EndTimeUnixNano = 10; break;
        }

        var request = Request(ValidSpan("a"), bad, ValidSpan("b"));

        var result = SpanValidator.RemoveInvalidSpans(request);

        Assert.Equal(2, result.AcceptedSpans);
        Assert.Equal(1, result.RejectedSpans);
        Assert.StartsWith("resourceSpans[0].scopeSpans[0].spans[1]: ", result.FirstError);
        Assert.Contains(expected, result.FirstError);
        Assert.Equal(["a", "b"], request.ResourceSpans[0].ScopeSpans[0].Spans.Select(s => s.Name));
    }

    [Fact]
    public void ValidSpansAreKeptUntouched()
    {
        var root = ValidSpan("root");
        var child = ValidSpan("child");
        child.ParentSpanId = ByteString.CopyFrom([9, 9, 9, 9, 9, 9, 9, 9]);
        var request = Request(root, child);
        var before = request.Clone();

        var result = SpanValidator.RemoveInvalidSpans(request);

        Assert.Equal(new ValidationResult(2, 0, null), result);
        Assert.Equal(before, request);
    }

    private static ExportTraceServiceRequest Request(params Span[] spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.AddRange(spans);
        var resource = new ResourceSpans();
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }
}
