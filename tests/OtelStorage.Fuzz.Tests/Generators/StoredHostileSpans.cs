using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Otlp.Validation;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>
/// Requests that are valid OTLP (so Ingest.Api must accept them) but hostile to everything downstream: the batcher's
/// block writer and metadata extractor, and Query.Api's readers and its OTLP JSON, Jaeger and Tempo formats.
/// Service and span names with traversal, control characters and 64 KiB of text; AnyValues nested just under the
/// recursion limit; NaN and infinite doubles; extreme integers and timestamps; unknown enum values; huge attributes.
/// The same (seed, index) gives the same request, so the read cases find the trace of each ingest case.
/// </summary>
public static class StoredHostileSpans
{
    public const string IngestCategory = "stored-hostile-ingest";
    public const string ReadCategory = "stored-hostile-reads";

    /// <summary>The number of ways each stored trace is read: <see cref="Read"/> with index 0 up to this.</summary>
    public const int ReadKinds = 16;

    /// <summary>
    /// Read <paramref name="kind"/> of a stored trace: by ID on every trace route, searches for its service around the
    /// fixed base time of generated spans, and the metadata routes. By-ID and metadata reads must succeed; searches may
    /// also be refused with a 4xx (a service name too long for a URL).
    /// </summary>
    public static FuzzCase Read(string traceId, string service, int kind)
    {
        var s = Uri.EscapeDataString(service);
        // A logfmt value in quotes, with its quotes and backslashes escaped.
        var logfmt = Uri.EscapeDataString("service.name=\"" + service.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        var from = OtlpSamples.BaseTime.AddHours(-1);
        var to = OtlpSamples.BaseTime.AddDays(1);
        var nanos = $"start={(ulong)from.ToUnixTimeMilliseconds() * 1_000_000UL}&end={(ulong)to.ToUnixTimeMilliseconds() * 1_000_000UL}";
        var micros = $"start={from.ToUnixTimeMilliseconds() * 1000}&end={to.ToUnixTimeMilliseconds() * 1000}";
        var seconds = $"start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}";
        var (path, accept, mustSucceed) = kind switch
        {
            0 => ($"/traces/{traceId}", null, true),
            1 => ($"/traces/{traceId}", "application/x-protobuf", true),
            2 => ($"/api/traces/{traceId}", null, true),
            3 => ($"/api/traces/{traceId}", "application/protobuf", true),
            4 => ($"/api/v2/traces/{traceId}", null, true),
            5 => ($"/api/v2/traces/{traceId}", "application/protobuf", true),
            6 => ($"/tempo/api/traces/{traceId}", null, true),
            7 => ($"/spans?service={s}&{nanos}&limit=50", null, false),
            8 => ($"/api/traces?service={s}&{micros}&limit=20", null, false),
            9 => ($"/api/search?tags={logfmt}&{seconds}&limit=20", null, false),
            10 => ($"/services/{s}/operations", null, false),
            11 => ($"/api/services/{s}/operations", null, false),
            12 => ("/services", null, true),
            13 => ("/api/services", null, true),
            14 => ("/dependencies", null, true),
            _ => ($"/api/operations?service={s}", null, false),
        };
        return new FuzzCase
        {
            Description = $"read {kind} of stored trace {traceId}: GET {(path.Length > 120 ? path[..120] + "…" : path)}{(accept is null ? string.Empty : " as " + accept)}",
            Target = FuzzTarget.Query,
            Method = "GET",
            PathAndQuery = path,
            Headers = accept is null ? [] : [new("Accept", accept)],
            // Kestrel refuses a request target holding NUL (%00) with its own 400 before any application code runs, so a
            // service named with one can be listed through the query string (/api/operations?service=) but not a path.
            Expect = mustSucceed || (path.Length < 4000 && !(kind is 10 or 11 && service.Contains('\0', StringComparison.Ordinal)))
                ? Expectation.Success
                : Expectation.NoServerError,
        };
    }

    /// <summary>
    /// The largest attribute value Ingest.Api accepts (Otlp:MaxAttributeValueBytes by default): larger ones make the span
    /// invalid (the huge-values category tests that), and these spans must all be stored.
    /// </summary>
    private static readonly int HugeValueBytes = SpanLimits.Default.MaxAttributeValueBytes;

    private static readonly string[] Names =
    [
        "../../../etc/passwd", "..%2F..%2Fx", "a/b\\c", "😀 emoji service", "\u202Eevil", "null", "svc\r\nX-Injected: 1", "tab\there", "<script>alert(1)</script>",
        "\u0000nul", "%s%n", "{\"json\":true}", "single-tenant", "blocks/x/meta.json", " ", "\uFFFF\uFFFE", "日本語のサービス", "a", "a:b", "a=b c=d", "\"quoted\"",
    ];

    public static ExportTraceServiceRequest Make(ulong seed, int index) => Make(CaseRandom.For(seed, IngestCategory, index));

    public static (string TraceId, string Service) Identify(ExportTraceServiceRequest request) =>
        (Convert.ToHexStringLower(request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span),
         request.ResourceSpans[0].Resource.Attributes.First(a => a.Key == "service.name").Value.StringValue);

    public static ExportTraceServiceRequest Make(Random r)
    {
        var service = r.Next(4) == 0 ? new string('s', r.Pick(new[] { 1000, 64 * 1024 })) : r.Pick(Names) + " " + r.Next(1000).ToString(CultureInfo.InvariantCulture);
        var traceId = OtlpSamples.TraceId(r);
        var spans = new List<Span>();
        var count = r.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var span = OtlpSamples.MinimalSpan(r, traceId);
            if (i > 0)
            {
                span.ParentSpanId = spans[0].SpanId;
            }

            span.Name = r.Next(3) == 0 ? new string('n', r.Pick(new[] { 1000, 64 * 1024 })) : r.Pick(Names);
            span.Kind = (Span.Types.SpanKind)r.Pick(new[] { 0, 1, 2, 3, 4, 5, 6, 99, -1, int.MaxValue });
            span.Flags = r.Pick(new[] { 0u, 0x101u, 0x301u, uint.MaxValue });
            span.TraceState = r.Next(3) == 0 ? new string('t', 64 * 1024) : "a=b,c=\u00e9";
            (span.StartTimeUnixNano, span.EndTimeUnixNano) = r.Next(6) switch
            {
                0 => (0UL, 0UL),
                1 => (0UL, ulong.MaxValue),
                2 => (ulong.MaxValue, ulong.MaxValue),
                3 => (1UL, (ulong)long.MaxValue + 10),
                _ => (OtlpSamples.Now, OtlpSamples.Now + (ulong)r.NextInt64(0, 1L << 40)),
            };
            span.Status = new Status { Code = (Status.Types.StatusCode)r.Pick(new[] { 0, 1, 2, 3, -5 }), Message = r.Pick(Names) };
            for (var a = r.Next(0, 6); a > 0; a--)
            {
                span.Attributes.Add(Attribute(r));
            }

            span.Events.Add(new Span.Types.Event { TimeUnixNano = r.Next(2) == 0 ? 0 : ulong.MaxValue, Name = r.Pick(Names), Attributes = { Attribute(r) } });
            span.Links.Add(new Span.Types.Link { TraceId = r.Next(2) == 0 ? traceId : ByteString.CopyFrom(r.Bytes(r.Pick(new[] { 0, 3, 16 }))), SpanId = ByteString.CopyFrom(r.Bytes(r.Pick(new[] { 0, 8, 9 }))), TraceState = r.Pick(Names), Attributes = { Attribute(r) } });
            spans.Add(span);
        }

        var request = OtlpSamples.Wrap(service, spans, [Attribute(r), OtlpSamples.Attr("service.namespace", r.Pick(Names))]);
        request.ResourceSpans[0].SchemaUrl = r.Pick(Names);
        request.ResourceSpans[0].ScopeSpans[0].Scope = new InstrumentationScope { Name = r.Pick(Names), Version = r.Pick(Names), Attributes = { Attribute(r) } };
        return request;
    }

    private static KeyValue Attribute(Random r)
    {
        var key = r.Next(5) == 0 ? r.Pick(new[] { string.Empty, "service.name", "http.route", "error", "span.kind", new string('k', 4096) }) : r.Pick(Names);
        var value = r.Next(10) switch
        {
            0 => new AnyValue { DoubleValue = r.Pick(new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue }) },
            1 => new AnyValue { IntValue = r.Pick(new[] { long.MinValue, long.MaxValue, 0L, -1L }) },
            2 => new AnyValue { BytesValue = ByteString.CopyFrom(r.Bytes(r.Pick(new[] { 0, 16, HugeValueBytes }))) },
            3 => Nested(r.Pick(new[] { 1, 10, 40, 45 }), kvlist: false),
            4 => Nested(r.Pick(new[] { 1, 10, 25, 30 }), kvlist: true),
            5 => new AnyValue(),
            6 => new AnyValue { StringValue = new string('v', r.Pick(new[] { 1024, HugeValueBytes })) },
            7 => new AnyValue { ArrayValue = new ArrayValue { Values = { Enumerable.Range(0, r.Pick(new[] { 0, 1000, 100_000 })).Select(i => new AnyValue { IntValue = i }) } } },
            8 => new AnyValue { BoolValue = true },
            _ => new AnyValue { StringValue = r.Pick(Names) },
        };
        return new KeyValue { Key = key, Value = value };
    }

    /// <summary>AnyValue arrays or kvlists <paramref name="depth"/> deep: with the six messages around a span attribute, at most 96 of protobuf's 100 levels.</summary>
    private static AnyValue Nested(int depth, bool kvlist)
    {
        var value = new AnyValue { StringValue = "leaf" };
        for (var i = 0; i < depth; i++)
        {
            value = kvlist
                ? new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "k" + i.ToString(CultureInfo.InvariantCulture), Value = value } } } }
                : new AnyValue { ArrayValue = new ArrayValue { Values = { value } } };
        }

        return value;
    }
}
