using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Json;
using Query.Api.Apis;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

/// <summary>Traces written to the response body as they are encoded, not buffered whole first.</summary>
public sealed class TraceResultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A trace of 2,000 spans with 1 KiB attributes: about 2.5 MB of JSON.</summary>
    private static TracesData LargeTrace() => new()
    {
        ResourceSpans =
        {
            Request("shop", [.. Enumerable.Range(1, 2000).Select(i => Span(1, i, i == 1 ? null : 1, "op", (ulong)i, 1, attributes: ("payload", new string('x', 1024))))]).ResourceSpans,
        },
    };

    [Fact]
    public async Task LargeTraceJsonReachesTheBodyInPiecesOfAFlushAndASpanAndMatchesTheBufferedWriter()
    {
        var data = LargeTrace();
        var (context, body) = NewContext();

        await TraceResult.Json(data).ExecuteAsync(context);

        var largestSpan = data.ResourceSpans[0].ScopeSpans[0].Spans.Max(s => OtlpJsonWriter.Write(new TracesData { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { s } } } } } }).Length);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.True(body.Writes.Count > 50, $"{body.Writes.Count} writes");
        Assert.All(body.Writes, w => Assert.True(w <= OtlpJsonWriter.FlushBytes + largestSpan, $"a write of {w} bytes"));
        Assert.Equal(OtlpJsonWriter.Write(data), body.ToArray());
    }

    [Fact]
    public async Task TempoV2JsonPutsTheResourceSpansUnderTrace()
    {
        var data = LargeTrace();
        var (context, body) = NewContext();

        await TraceResult.Json(data, wrapper: "trace").ExecuteAsync(context);

        using var json = System.Text.Json.JsonDocument.Parse(body.ToArray());
        var spans = json.RootElement.GetProperty("trace").GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans");
        Assert.Equal(2000, spans.GetArrayLength());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProtobufIsTheTracesDataBytesOrAFieldOneHoldingThemWithTheirContentLength(bool wrapInField1)
    {
        var data = LargeTrace();
        var (context, body) = NewContext();

        await TraceResult.Protobuf(data, "application/protobuf", wrapInField1).ExecuteAsync(context);

        var bytes = body.ToArray();
        Assert.Equal(bytes.Length, context.Response.ContentLength);
        Assert.Equal("application/protobuf", context.Response.ContentType);
        if (wrapInField1)
        {
            var input = new CodedInputStream(bytes);
            Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), input.ReadTag());
            bytes = input.ReadBytes().ToByteArray();
            Assert.True(input.IsAtEnd);
        }

        Assert.Equal(data.ToByteArray(), bytes);
    }

    private static (DefaultHttpContext Context, RecordingStream Body) NewContext()
    {
        var body = new RecordingStream();
        var context = new DefaultHttpContext { RequestAborted = Ct };
        context.Response.Body = body;
        return (context, body);
    }

    /// <summary>A memory stream that records the size of every write it receives.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes.Add(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes.Add(buffer.Length);
            base.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Writes.Add(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }
    }
}
