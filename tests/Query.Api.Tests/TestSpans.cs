using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Query.Api.Tests;

/// <summary>Small hand-made traces with known IDs, times and attributes.</summary>
internal static class TestSpans
{
    public static readonly ulong BaseTime = (ulong)DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() * 1_000_000UL;

    public static byte[] TraceId(int n)
    {
        var id = new byte[16];
        id[0] = 0xAB;
        BitConverter.TryWriteBytes(id.AsSpan(12), n);
        return id;
    }

    public static byte[] SpanId(int n)
    {
        var id = new byte[8];
        id[0] = 0xCD;
        BitConverter.TryWriteBytes(id.AsSpan(4), n);
        return id;
    }

    public static string Hex(byte[] id) => Convert.ToHexStringLower(id);

    public static Span Span(int trace, int span, int? parent, string name, ulong startOffsetMs, ulong durationMs,
        Span.Types.SpanKind kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server, Status.Types.StatusCode status = Status.Types.StatusCode.Unset, params (string Key, object Value)[] attributes)
    {
        var s = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId(trace)),
            SpanId = ByteString.CopyFrom(SpanId(span)),
            ParentSpanId = parent is { } p ? ByteString.CopyFrom(SpanId(p)) : ByteString.Empty,
            Name = name,
            Kind = kind,
            StartTimeUnixNano = BaseTime + startOffsetMs * 1_000_000,
            EndTimeUnixNano = BaseTime + (startOffsetMs + durationMs) * 1_000_000,
            Flags = 0x101,
            Status = status == Status.Types.StatusCode.Unset ? null : new Status { Code = status, Message = status == Status.Types.StatusCode.Error ? "boom" : string.Empty },
        };
        foreach (var (key, value) in attributes)
        {
            s.Attributes.Add(Attribute(key, value));
        }

        return s;
    }

    public static KeyValue Attribute(string key, object value) => new()
    {
        Key = key,
        Value = value switch
        {
            string str => new AnyValue { StringValue = str },
            int i => new AnyValue { IntValue = i },
            long l => new AnyValue { IntValue = l },
            bool b => new AnyValue { BoolValue = b },
            double d => new AnyValue { DoubleValue = d },
            _ => throw new ArgumentException("unsupported attribute type", nameof(value)),
        },
    };

    public static ExportTraceServiceRequest Request(string service, params Span[] spans) => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { Attribute("service.name", service), Attribute("host.name", service + "-host") } },
                SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
                ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "test-scope", Version = "1.0.0" }, Spans = { spans } } },
            },
        },
    };

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(url, Xunit.TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(Xunit.TestContext.Current.CancellationToken);
        Xunit.Assert.True(response.StatusCode == expected, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static Task<T?> ReadAs<T>(this HttpContent content) => content.ReadFromJsonAsync<T>(Xunit.TestContext.Current.CancellationToken);
}
