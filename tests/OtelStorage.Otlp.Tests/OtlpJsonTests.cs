using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Json;
using OtelStorage.Testing.Otlp;
using Xunit;

namespace OtelStorage.Otlp.Tests;

public sealed class OtlpJsonTests
{
    [Fact]
    public void HandWrittenJsonDecodesWithHexIdsNamedEnumsAndStringOrNumberIntegers()
    {
        var request = OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(HandWrittenJson.Request));

        var resourceSpans = Assert.Single(request.ResourceSpans);
        Assert.Equal("checkout", resourceSpans.Resource.Attributes[0].Value.StringValue);
        Assert.Equal("https://opentelemetry.io/schemas/1.30.0", resourceSpans.SchemaUrl);
        var scope = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("manual", scope.Scope.Name);
        var span = scope.Spans[0];
        Assert.Equal("5b8efff798038103d269b633813fc60c", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal("eee19b7ec3c1b174", Convert.ToHexStringLower(span.SpanId.Span));
        Assert.Equal("eee19b7ec3c1b173", Convert.ToHexStringLower(span.ParentSpanId.Span));
        Assert.Equal("k=v", span.TraceState);
        Assert.Equal(257u, span.Flags);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal(1764057600000000000ul, span.StartTimeUnixNano);
        Assert.Equal(1764057600250000000ul, span.EndTimeUnixNano);
        Assert.Equal(200, span.Attributes[0].Value.IntValue);
        Assert.Equal(3, span.Attributes[1].Value.IntValue);
        Assert.Equal(new byte[] { 1, 2, 3 }, span.Attributes[2].Value.BytesValue.ToByteArray());
        Assert.True(span.Attributes[3].Value.ArrayValue.Values[1].BoolValue);
        Assert.Equal(1.5, span.Attributes[4].Value.KvlistValue.Values[0].Value.DoubleValue);
        Assert.Equal("checkpoint", Assert.Single(span.Events).Name);
        var link = Assert.Single(span.Links);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(link.TraceId.Span));
        Assert.Equal("b7ad6b7169203331", Convert.ToHexStringLower(link.SpanId.Span));
        Assert.Equal("l=1", link.TraceState);
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal("failed", span.Status.Message);

        var root = scope.Spans[1];
        Assert.True(root.ParentSpanId.IsEmpty);
        Assert.Equal(Span.Types.SpanKind.Internal, root.Kind);
        Assert.Equal(Status.Types.StatusCode.Ok, root.Status.Code);
    }

    [Fact]
    public void FormattedRequestRoundTripsWithHexIds()
    {
        var request = OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(HandWrittenJson.Request));

        var json = OtlpJson.FormatRequest(request);

        Assert.Contains("\"traceId\":\"5b8efff798038103d269b633813fc60c\"", json);
        Assert.Equal(request, OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void TheWriterAndTheParserRoundTripEveryFieldAndEveryAnyValueKind()
    {
        KeyValue Kv(string key, AnyValue value) => new() { Key = key, Value = value };
        AnyValue[] values =
        [
            new() { StringValue = "s\u00e9\"\n" }, new() { BoolValue = true }, new() { IntValue = long.MinValue }, new() { DoubleValue = 0.1 },
            new() { DoubleValue = double.NaN }, new() { DoubleValue = double.PositiveInfinity }, new() { DoubleValue = double.NegativeInfinity },
            new() { BytesValue = ByteString.CopyFrom(1, 2, 255) }, new(),
            new() { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { ArrayValue = new ArrayValue() } } } },
            new() { KvlistValue = new KeyValueList { Values = { Kv("inner", new AnyValue { KvlistValue = new KeyValueList { Values = { Kv("deep", new AnyValue { DoubleValue = -2.5e300 }) } } }) } } },
        ];
        var attributes = values.Select((v, i) => Kv("k" + i, v)).ToArray();
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
            SpanId = ByteString.CopyFrom(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray()),
            ParentSpanId = ByteString.CopyFrom(Enumerable.Range(9, 8).Select(i => (byte)i).ToArray()),
            TraceState = "a=b,c=d",
            Flags = 0x301,
            Name = "every field",
            Kind = Span.Types.SpanKind.Consumer,
            StartTimeUnixNano = ulong.MaxValue - 1,
            EndTimeUnixNano = ulong.MaxValue,
            Attributes = { attributes },
            DroppedAttributesCount = 3,
            Events = { new Span.Types.Event { TimeUnixNano = 1_764_057_600_123_456_789, Name = "ev", Attributes = { attributes }, DroppedAttributesCount = 4 } },
            DroppedEventsCount = 5,
            Links = { new Span.Types.Link { TraceId = ByteString.CopyFrom(new byte[16] { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 }), SpanId = ByteString.CopyFrom(7, 7, 7, 7, 7, 7, 7, 7), TraceState = "x=y", Attributes = { attributes }, DroppedAttributesCount = 6, Flags = 0x100 } },
            DroppedLinksCount = 7,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" },
        };
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new OpenTelemetry.Proto.Resource.V1.Resource { Attributes = { attributes }, DroppedAttributesCount = 8 },
                    SchemaUrl = "https://opentelemetry.io/schemas/1.26.0",
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Scope = new InstrumentationScope { Name = "scope", Version = "1.2.3", Attributes = { attributes }, DroppedAttributesCount = 9 },
                            SchemaUrl = "https://opentelemetry.io/schemas/1.25.0",
                            Spans = { span },
                        },
                    },
                },
            },
        };

        var json = OtlpJsonWriter.Write(request);

        Assert.Equal(request, OtlpJson.ParseRequest(json));
        Assert.Contains("\"traceId\":\"0102030405060708090a0b0c0d0e0f10\"", Encoding.UTF8.GetString(json));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{"resourceSpans":{}}""", "resourceSpans must be an array")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].traceId must be a hex string")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}""", "not an OTLP ExportTraceServiceRequest")]
    public void UndecodableJsonSaysWhatIsWrong(string json, string expected)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, error.Message);
    }

    // JsonNode accepts each of these at parse time and throws InvalidOperationException or ArgumentException on first
    // read; the codec must refuse them up front as invalid JSON.
    [Theory]
    [InlineData(new byte[] { 0xFF }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xC0, 0x80 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xE2, 0x82 }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xFE, 0xFF }, "not valid UTF-8")]
    public void InvalidUtf8InAStringIsInvalidJsonNotACrash(byte[] bad, string expected)
    {
        byte[] json = [.. "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a"u8, .. bad, .. "\"}]}]}]}"u8];

        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.ParseRequest(json));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\ud800"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\udfff\ud800"}]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"resource":{"attributes":[{"key":"\ud834","value":{"stringValue":"x"}}]}}]}""")]
    public void AnUnpairedSurrogateEscapeIsInvalidJsonNotACrash(string json)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("is not valid text", error.Message);
    }

    [Theory]
    [InlineData("""{"resourceSpans":[],"resourceSpans":[]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[],"spans":[]}]}]}""")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","traceId":"00"}]}]}]}""")]
    public void DuplicateKeysAreInvalidJsonNotACrash(string json)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.ParseRequest(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void SuccessResponseIsAnEmptyObjectAndPartialSuccessUsesStringInt64()
    {
        Assert.Equal("{}", Encoding.UTF8.GetString(OtlpJson.FormatResponse(new ExportTraceServiceResponse())));

        var partial = new ExportTraceServiceResponse { PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = 2, ErrorMessage = "bad" } };
        Assert.Equal("""{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad"}}""", Encoding.UTF8.GetString(OtlpJson.FormatResponse(partial)));
    }
}
