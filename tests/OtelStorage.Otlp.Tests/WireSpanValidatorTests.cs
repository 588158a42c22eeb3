using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Validation;
using OtelStorage.Testing;
using OtelStorage.Testing.Otlp;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Otlp.Tests;

/// <summary>
/// The wire check is a shortcut past decoding, so its one promise is tested against the decoder itself: when it
/// says a request is valid, Google.Protobuf decodes it and <see cref="SpanValidator"/> removes nothing.
/// </summary>
public sealed class WireSpanValidatorTests
{
    private static readonly SpanLimits Limits = new(MaxAttributeValueBytes: 1024);

    [Fact]
    public void RealisticRequestsAreValidOnTheWireWithTheirSpanCount()
    {
        var generator = new RealisticSpanGenerator(seed: 3);
        for (var i = 0; i < 20; i++)
        {
            var request = generator.NextRequest(512);

            Assert.True(WireSpanValidator.TryValidate(request.ToByteArray(), SpanLimits.Default, out var spans));
            Assert.Equal(SpanValidator.CountSpans(request), spans);
        }
    }

    [Fact]
    public void ASpanUsingEveryFieldAndEveryValueKindIsValidOnTheWire()
    {
        var request = Request(EveryFieldSpan());
        request.ResourceSpans[0].SchemaUrl = "https://opentelemetry.io/schemas/1.26.0";
        request.ResourceSpans[0].Resource = new Resource
        {
            Attributes = { Attribute("service.name", new AnyValue { StringValue = "svc" }) },
            DroppedAttributesCount = 1,
            EntityRefs = { new EntityRef { Type = "service", SchemaUrl = "s", IdKeys = { "service.name" }, DescriptionKeys = { "d" } } },
        };
        request.ResourceSpans[0].ScopeSpans[0].Scope = new InstrumentationScope { Name = "lib", Version = "1.0", Attributes = { Attribute("k", new AnyValue { BoolValue = true }) }, DroppedAttributesCount = 2 };
        request.ResourceSpans[0].ScopeSpans[0].SchemaUrl = "https://opentelemetry.io/schemas/1.26.0";

        Assert.True(WireSpanValidator.TryValidate(request.ToByteArray(), Limits, out var spans));
        Assert.Equal(1, spans);
    }

    [Fact]
    public async Task RequestsOfTheOfficialOtlpExporterAreValidOnTheWire()
    {
        // The .NET exporter has its own protobuf serializer (padded length prefixes, its own field order).
        var port = FreePort.Next();
        var bodies = new List<byte[]>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            lock (bodies)
            {
                bodies.Add(body.ToArray());
            }

            return Results.Bytes(new ExportTraceServiceResponse().ToByteArray(), "application/x-protobuf");
        });
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var spans = new EveryFieldSpans();
        spans.Export(new Uri($"http://127.0.0.1:{port}/v1/traces"), OtlpExportProtocol.HttpProtobuf);

        Assert.NotEmpty(bodies);
        foreach (var body in bodies)
        {
            Assert.True(WireSpanValidator.TryValidate(body, SpanLimits.Default, out var count));
            Assert.Equal(SpanValidator.CountSpans(ExportTraceServiceRequest.Parser.ParseFrom(body)), count);
        }
    }

    public static TheoryData<string> InvalidSpans => new(
        "short trace id", "zero trace id", "no trace id", "long span id", "zero span id", "bad parent", "no name", "end before start",
        "oversize string", "oversize bytes", "oversize in event", "oversize nested in link", "oversize name");

    [Theory]
    [MemberData(nameof(InvalidSpans))]
    public void ARequestWithAnInvalidSpanIsLeftToTheDecoder(string defect)
    {
        var bad = SpanValidatorTests.ValidSpan(defect);
        var oversize = new AnyValue { StringValue = new string('x', Limits.MaxAttributeValueBytes + 1) };
        switch (defect)
        {
            case "short trace id": bad.TraceId = ByteString.CopyFrom(new byte[15]); break;
            case "zero trace id": bad.TraceId = ByteString.CopyFrom(new byte[16]); break;
            case "no trace id": bad.TraceId = ByteString.Empty; break;
            case "long span id": bad.SpanId = ByteString.CopyFrom(new byte[9]); break;
            case "zero span id": bad.SpanId = ByteString.CopyFrom(new byte[8]); break;
            case "bad parent": bad.ParentSpanId = ByteString.CopyFrom(new byte[4]); break;
            case "no name": bad.Name = string.Empty; break;
            case "oversize name": bad.Name = new string('n', Limits.MaxAttributeValueBytes + 1); break;
            case "end before start": bad.EndTimeUnixNano = 10; break;
            case "oversize string": bad.Attributes.Add(Attribute("db.statement", oversize)); break;
            case "oversize bytes": bad.Attributes.Add(Attribute("b", new AnyValue { BytesValue = ByteString.CopyFrom(new byte[Limits.MaxAttributeValueBytes + 1]) })); break;
            case "oversize in event": bad.Events.Add(new Span.Types.Event { Name = "e", Attributes = { Attribute("s", oversize) } }); break;
            case "oversize nested in link":
                bad.Links.Add(new Span.Types.Link { Attributes = { Attribute("o", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("i", oversize) } } } } } }) } });
                break;
        }

        var request = Request(SpanValidatorTests.ValidSpan("a"), bad);
        Assert.Equal(1, SpanValidator.RemoveInvalidSpans(request.Clone(), Limits).RejectedSpans);

        Assert.False(WireSpanValidator.TryValidate(request.ToByteArray(), Limits, out _));
    }

    [Fact]
    public void AResourceOrScopeAttributeOverTheLimitIsLeftToTheDecoder()
    {
        var oversize = new AnyValue { BytesValue = ByteString.CopyFrom(new byte[Limits.MaxAttributeValueBytes + 1]) };
        var atLimit = new AnyValue { StringValue = new string('x', Limits.MaxAttributeValueBytes) };
        var resource = Request(SpanValidatorTests.ValidSpan());
        resource.ResourceSpans[0].Resource = new Resource { Attributes = { Attribute("r", oversize) } };
        var scope = Request(SpanValidatorTests.ValidSpan());
        scope.ResourceSpans[0].ScopeSpans[0].Scope = new InstrumentationScope { Attributes = { Attribute("s", new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("i", oversize) } } }) } };
        var both = Request(SpanValidatorTests.ValidSpan());
        both.ResourceSpans[0].Resource = new Resource { Attributes = { Attribute("r", atLimit) } };
        both.ResourceSpans[0].ScopeSpans[0].Scope = new InstrumentationScope { Attributes = { Attribute("s", atLimit) } };

        Assert.False(WireSpanValidator.TryValidate(resource.ToByteArray(), Limits, out _));
        Assert.False(WireSpanValidator.TryValidate(scope.ToByteArray(), Limits, out _));
        Assert.Equal(1, SpanValidator.RemoveInvalidSpans(resource, Limits).RejectedSpans);
        Assert.Equal(1, SpanValidator.RemoveInvalidSpans(scope, Limits).RejectedSpans);
        Assert.True(WireSpanValidator.TryValidate(both.ToByteArray(), Limits, out _));
    }

    [Fact]
    public void FormsThatNeedTheDecodersSemanticsAreLeftToIt()
    {
        var span = SpanValidatorTests.ValidSpan().ToByteArray();
        // A second trace_id (protobuf keeps the last), trace_state sent as a varint, a group in field 20, and
        // trace_state that is not UTF-8.
        byte[][] spans = [[.. span, 0x0A, 16, .. Enumerable.Repeat((byte)7, 16)], [.. span, 0x18, 1], [.. span, 0xA3, 0x01, 0xA4, 0x01], [.. span, 0x1A, 1, 0xFF]];
        Assert.True(WireSpanValidator.TryValidate(Wrap(span), Limits, out _));

        foreach (var body in spans)
        {
            Assert.False(WireSpanValidator.TryValidate(Wrap(body), Limits, out _));
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 3)]
    [InlineData(uint.MaxValue)]
    public void ALengthPastTheEndIsRefusedAtEveryLevelWithoutAnException(long length)
    {
        var span = SpanValidatorTests.ValidSpan().ToByteArray();
        byte[] prefix = [.. Varint(length)];
        // A span's name, a resource_spans' scope_spans, and a resource_spans, each claiming `length` bytes.
        byte[][] bodies = [Wrap([.. span, 0x2A, .. prefix, 1, 2, 3]), [0x0A, (byte)(prefix.Length + 1), 0x12, .. prefix], [0x0A, .. prefix, 1, 2, 3]];

        foreach (var body in bodies)
        {
            Assert.False(WireSpanValidator.TryValidate(body, Limits, out _));
        }

        static IEnumerable<byte> Varint(long value)
        {
            for (; value >= 0x80; value >>= 7)
            {
                yield return (byte)(value | 0x80);
            }

            yield return (byte)value;
        }
    }

    [Fact]
    public void WhateverTheWireCheckAcceptsDecodesWithEverySpanValid()
    {
        var random = new Random(11);
        var generator = new RealisticSpanGenerator(seed: 5);
        int accepted = 0, refused = 0;
        for (var i = 0; i < 4000; i++)
        {
            var original = generator.NextRequest(20).ToByteArray();
            var mutated = Mutate(original, random);

            if (!WireSpanValidator.TryValidate(mutated, Limits, out var spans))
            {
                refused++;
                continue;
            }

            accepted++;
            var decoded = ExportTraceServiceRequest.Parser.ParseFrom(mutated);
            Assert.Equal(SpanValidator.CountSpans(decoded), spans);
            Assert.Equal(0, SpanValidator.RemoveInvalidSpans(decoded, Limits).RejectedSpans);
        }

        // Both outcomes must have been exercised for the property to mean anything.
        Assert.InRange(accepted, 200, 3800);
        Assert.InRange(refused, 200, 3800);
    }

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        var copy = bytes.ToList();
        for (var n = random.Next(1, 4); n > 0 && copy.Count > 1; n--)
        {
            var at = random.Next(copy.Count);
            switch (random.Next(5))
            {
                case 0: copy[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: copy[at] = (byte)random.Next(256); break;
                case 2: copy.RemoveAt(at); break;
                case 3: copy.Insert(at, (byte)random.Next(256)); break;
                default: copy.RemoveRange(at, copy.Count - at); break;
            }
        }

        return [.. copy];
    }

    private static Span EveryFieldSpan()
    {
        var span = SpanValidatorTests.ValidSpan("every field");
        span.TraceState = "a=b";
        span.ParentSpanId = ByteString.CopyFrom([9, 9, 9, 9, 9, 9, 9, 9]);
        span.Flags = 0x101;
        span.Kind = Span.Types.SpanKind.Server;
        span.DroppedAttributesCount = 1;
        span.DroppedEventsCount = 2;
        span.DroppedLinksCount = 3;
        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" };
        span.Attributes.Add(Attribute("s", new AnyValue { StringValue = "€uro" }));
        span.Attributes.Add(Attribute("b", new AnyValue { BoolValue = true }));
        span.Attributes.Add(Attribute("i", new AnyValue { IntValue = -5 }));
        span.Attributes.Add(Attribute("d", new AnyValue { DoubleValue = 1.5 }));
        span.Attributes.Add(Attribute("bytes", new AnyValue { BytesValue = ByteString.CopyFrom([1, 2, 3]) }));
        span.Attributes.Add(Attribute("array", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { KvlistValue = new KeyValueList { Values = { Attribute("k", new AnyValue { StringValue = "v" }) } } } } } }));
        span.Attributes.Add(new KeyValue { Key = "no value" });
        span.Events.Add(new Span.Types.Event { TimeUnixNano = 1500, Name = "exception", Attributes = { Attribute("exception.type", new AnyValue { StringValue = "E" }) }, DroppedAttributesCount = 1 });
        span.Links.Add(new Span.Types.Link { TraceId = span.TraceId, SpanId = span.SpanId, TraceState = "c=d", Flags = 1, DroppedAttributesCount = 1, Attributes = { Attribute("l", new AnyValue { IntValue = 7 }) } });
        return span;
    }

    /// <summary>A request of one resource and one scope around the encoded span.</summary>
    private static byte[] Wrap(byte[] span)
    {
        byte[] scopeSpans = [0x12, .. Length(span.Length), .. span];
        byte[] resourceSpans = [0x12, .. Length(scopeSpans.Length), .. scopeSpans];
        return [0x0A, .. Length(resourceSpans.Length), .. resourceSpans];

        static byte[] Length(int length)
        {
            var output = new byte[CodedOutputStream.ComputeLengthSize(length)];
            new CodedOutputStream(output).WriteLength(length);
            return output;
        }
    }

    private static KeyValue Attribute(string key, AnyValue value) => SpanValidatorTests.Attribute(key, value);

    private static ExportTraceServiceRequest Request(params Span[] spans) => SpanValidatorTests.Request(spans);
}
