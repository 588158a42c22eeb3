using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
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

    [Fact]
    public void AnAttributeValueOverTheLimitRejectsItsSpanWhereverItIsNested()
    {
        var limits = new SpanLimits(MaxAttributeValueBytes: 100);
        var atLimit = ValidSpan("at limit");
        atLimit.Attributes.Add(Attribute("ascii", new AnyValue { StringValue = new string('a', 100) }));
        atLimit.Attributes.Add(Attribute("bytes", new AnyValue { BytesValue = ByteString.CopyFrom(new byte[100]) }));
        var multiByte = ValidSpan("multi-byte"); // 40 characters, 120 UTF-8 bytes
        multiByte.Attributes.Add(Attribute("db.statement", new AnyValue { StringValue = new string('€', 40) }));
        var inEvent = ValidSpan("in event");
        inEvent.Events.Add(new Span.Types.Event { Name = "exception", Attributes = { Attribute("exception.stacktrace", new AnyValue { StringValue = new string('s', 101) }) } });
        var nested = ValidSpan("nested");
        nested.Links.Add(new Span.Types.Link
        {
            TraceId = atLimit.TraceId,
            SpanId = atLimit.SpanId,
            Attributes =
            {
                Attribute("outer", new AnyValue
                {
                    ArrayValue = new ArrayValue { Values = { new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("inner", new AnyValue { BytesValue = ByteString.CopyFrom(new byte[101]) }) } } } } },
                }),
            },
        });
        var request = Request(atLimit, multiByte, inEvent, nested);

        var result = SpanValidator.RemoveInvalidSpans(request, limits);

        Assert.Equal(new ValidationResult(1, 3, "resourceSpans[0].scopeSpans[0].spans[1]: attribute 'db.statement' is over the 100-byte value limit"), result);
        Assert.Equal(["at limit"], request.ResourceSpans[0].ScopeSpans[0].Spans.Select(s => s.Name));
        Assert.Equal("attribute events[0] 'exception.stacktrace' is over the 100-byte value limit", SpanValidator.Validate(inEvent, limits));
        Assert.Equal("attribute links[0] 'outer' is over the 100-byte value limit", SpanValidator.Validate(nested, limits));
    }

    [Fact]
    public void ASpanNameOverTheValueLimitInUtf8BytesRejectsItsSpan()
    {
        var limits = new SpanLimits(MaxAttributeValueBytes: 100);
        var atLimit = ValidSpan(new string('n', 100));
        var multiByte = ValidSpan(new string('€', 34)); // 34 characters, 102 UTF-8 bytes
        var request = Request(atLimit, multiByte);

        var result = SpanValidator.RemoveInvalidSpans(request, limits);

        Assert.Equal(new ValidationResult(1, 1, "resourceSpans[0].scopeSpans[0].spans[1]: name is 102 bytes, over the 100-byte limit"), result);
        Assert.Equal([atLimit.Name], request.ResourceSpans[0].ScopeSpans[0].Spans.Select(s => s.Name));
    }

    [Fact]
    public void AResourceOrScopeAttributeOverTheLimitRejectsEverySpanItCarriesAndNoOther()
    {
        var limits = new SpanLimits(MaxAttributeValueBytes: 100);
        var oversize = new AnyValue { StringValue = new string('r', 101) };
        ExportTraceServiceRequest Build()
        {
            var request = Request(ValidSpan("under big resource 1"), ValidSpan("under big resource 2"));
            request.ResourceSpans[0].Resource = new Resource { Attributes = { Attribute("host.blob", oversize) } };
            var second = Request(ValidSpan("under big scope")).ResourceSpans[0];
            second.ScopeSpans[0].Scope = new InstrumentationScope { Name = "lib", Attributes = { Attribute("scope.blob", new AnyValue { ArrayValue = new ArrayValue { Values = { oversize } } }) } };
            second.ScopeSpans.Add(Request(ValidSpan("kept")).ResourceSpans[0].ScopeSpans[0]);
            request.ResourceSpans.Add(second);
            return request;
        }

        var both = Build();
        var scopeOnly = Build();
        scopeOnly.ResourceSpans[0].Resource = new Resource();

        Assert.Equal(new ValidationResult(1, 3, "resourceSpans[0].resource: attribute 'host.blob' is over the 100-byte value limit"), SpanValidator.RemoveInvalidSpans(both, limits));
        Assert.Equal(new ValidationResult(3, 1, "resourceSpans[1].scopeSpans[0].scope: attribute 'scope.blob' is over the 100-byte value limit"), SpanValidator.RemoveInvalidSpans(scopeOnly, limits));

        // What is left to publish holds no part of a rejected resource or scope.
        var left = Assert.Single(both.ResourceSpans);
        Assert.Equal(["kept"], Assert.Single(left.ScopeSpans).Spans.Select(s => s.Name));
        Assert.Equal(2, scopeOnly.ResourceSpans.Count);
        Assert.Equal(["kept"], Assert.Single(scopeOnly.ResourceSpans[1].ScopeSpans).Spans.Select(s => s.Name));
    }

    internal static KeyValue Attribute(string key, AnyValue value) => new() { Key = key, Value = value };

    internal static ExportTraceServiceRequest Request(params Span[] spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.AddRange(spans);
        var resource = new ResourceSpans();
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }
}
