using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Workload;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>Valid OTLP requests that mutations start from: minimal, every field set, and realistic SDK batches.</summary>
public static class OtlpSamples
{
    /// <summary>The start time of generated spans: fixed, so that a seed and an index give the same bytes in every run.</summary>
    public static readonly DateTimeOffset BaseTime = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    public static readonly ulong Now = (ulong)BaseTime.ToUnixTimeMilliseconds() * 1_000_000UL;

    public static ByteString TraceId(Random random) => ByteString.CopyFrom(NonZero(random, 16));

    public static ByteString SpanId(Random random) => ByteString.CopyFrom(NonZero(random, 8));

    /// <summary>One valid span, the smallest request that stores something.</summary>
    public static ExportTraceServiceRequest Minimal(Random random) => Wrap("fuzz-minimal", [MinimalSpan(random, TraceId(random))]);

    public static Span MinimalSpan(Random random, ByteString traceId) => new()
    {
        TraceId = traceId,
        SpanId = SpanId(random),
        Name = "op",
        StartTimeUnixNano = Now,
        EndTimeUnixNano = Now + 1000,
    };

    public static ExportTraceServiceRequest Wrap(string service, IEnumerable<Span> spans, IEnumerable<KeyValue>? resourceAttributes = null)
    {
        var resource = new Resource { Attributes = { Attr("service.name", service) } };
        resource.Attributes.Add(resourceAttributes ?? []);
        return new ExportTraceServiceRequest
        {
            ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "fuzz" }, Spans = { spans } } } } },
        };
    }

    /// <summary>Every field of every message set, every AnyValue kind, two resources and scopes.</summary>
    public static ExportTraceServiceRequest EveryField(Random random)
    {
        var traceId = TraceId(random);
        var request = new ExportTraceServiceRequest();
        for (var r = 0; r < 2; r++)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = new Resource
                {
                    Attributes = { Attr("service.name", "fuzz-every-" + r), AllKinds() },
                    DroppedAttributesCount = 3,
                    EntityRefs = { new EntityRef { SchemaUrl = "https://opentelemetry.io/schemas/1.30.0", Type = "service", IdKeys = { "service.name" }, DescriptionKeys = { "service.version" } } },
                },
                SchemaUrl = "https://opentelemetry.io/schemas/1.30.0",
            };
            for (var s = 0; s < 2; s++)
            {
                var scope = new ScopeSpans
                {
                    Scope = new InstrumentationScope { Name = "scope-" + s, Version = "1.0." + s, Attributes = { Attr("scope.attr", 42L) }, DroppedAttributesCount = 1 },
                    SchemaUrl = "https://opentelemetry.io/schemas/1.29.0",
                };
                for (var i = 0; i < 3; i++)
                {
                    var span = new Span
                    {
                        TraceId = traceId,
                        SpanId = SpanId(random),
                        ParentSpanId = i == 0 ? ByteString.Empty : SpanId(random),
                        TraceState = "vendor=value,other=x",
                        Flags = 0x301,
                        Name = $"GET /every/{r}/{s}/{i}",
                        Kind = (Span.Types.SpanKind)(i % 6),
                        StartTimeUnixNano = Now + (ulong)i,
                        EndTimeUnixNano = Now + 1_000_000 + (ulong)i,
                        Attributes = { AllKinds() },
                        DroppedAttributesCount = 2,
                        Events =
                        {
                            new Span.Types.Event { TimeUnixNano = Now + 10, Name = "exception", Attributes = { Attr("exception.message", "boom"), Attr("count", 3L) }, DroppedAttributesCount = 1 },
                        },
                        DroppedEventsCount = 4,
                        Links =
                        {
                            new Span.Types.Link { TraceId = TraceId(random), SpanId = SpanId(random), TraceState = "a=b", Attributes = { Attr("link.kind", "follows") }, DroppedAttributesCount = 1, Flags = 0x100 },
                        },
                        DroppedLinksCount = 5,
                        Status = new Status { Code = (Status.Types.StatusCode)(i % 3), Message = i == 2 ? "failed" : string.Empty },
                    };
                    scope.Spans.Add(span);
                }

                resourceSpans.ScopeSpans.Add(scope);
            }

            request.ResourceSpans.Add(resourceSpans);
        }

        return request;
    }

    /// <summary>An SDK-like batch from the realistic workload generator (12 services, semantic conventions).</summary>
    public static ExportTraceServiceRequest Realistic(Random random) =>
        new RealisticSpanGenerator(random.Next(), BaseTime).NextRequest(random.Next(1, 40));

    /// <summary>One of the three kinds of valid request, by the case's generator.</summary>
    public static ExportTraceServiceRequest Any(Random random) => random.Next(3) switch
    {
        0 => Minimal(random),
        1 => EveryField(random),
        _ => Realistic(random),
    };

    public static KeyValue Attr(string key, object value) => new() { Key = key, Value = Value(value) };

    public static AnyValue Value(object value) => value switch
    {
        string s => new AnyValue { StringValue = s },
        bool b => new AnyValue { BoolValue = b },
        long l => new AnyValue { IntValue = l },
        double d => new AnyValue { DoubleValue = d },
        byte[] bytes => new AnyValue { BytesValue = ByteString.CopyFrom(bytes) },
        _ => throw new ArgumentException("unsupported attribute value", nameof(value)),
    };

    private static IEnumerable<KeyValue> AllKinds() =>
    [
        Attr("str", "value"),
        Attr("bool", true),
        Attr("int", -42L),
        Attr("double", 3.25),
        Attr("bytes", new byte[] { 0, 1, 2, 255 }),
        new KeyValue { Key = "array", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { Value("a"), Value(1L), new AnyValue() } } } },
        new KeyValue { Key = "kvlist", Value = new AnyValue { KvlistValue = new KeyValueList { Values = { Attr("inner", "x"), Attr("n", 2.5) } } } },
        new KeyValue { Key = "empty", Value = new AnyValue() },
        new KeyValue { Key = "nan", Value = new AnyValue { DoubleValue = double.NaN } },
    ];

    private static byte[] NonZero(Random random, int length)
    {
        var bytes = random.Bytes(length);
        bytes[0] |= 1;
        return bytes;
    }
}
