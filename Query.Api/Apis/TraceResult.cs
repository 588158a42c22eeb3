using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Json;

namespace Query.Api.Apis;

/// <summary>
/// A trace written straight to the response body, as OTLP JSON (flushed between spans every
/// <see cref="OtlpJsonWriter.FlushBytes"/>) or as protobuf (into the response pipe's pooled segments). A large trace
/// is not first held as one response array, which would land on the large object heap with every read of it
/// (docs/RELIABILITY-fuzz.md, "Product bugs found and fixed").
/// </summary>
public sealed class TraceResult : IResult
{
    private readonly TracesData _data;
    private readonly string _contentType;
    private readonly string? _jsonRoot;
    private readonly string? _jsonWrapper;
    private readonly bool _wrapInField1;

    private TraceResult(TracesData data, string contentType, string? jsonRoot, string? jsonWrapper, bool wrapInField1)
    {
        (_data, _contentType, _jsonRoot, _jsonWrapper, _wrapInField1) = (data, contentType, jsonRoot, jsonWrapper, wrapInField1);
    }

    /// <summary><c>{"<paramref name="root"/>":[...]}</c>, inside <c>{"<paramref name="wrapper"/>":...}</c> when one is given (Tempo v2's <c>trace</c>).</summary>
    public static TraceResult Json(TracesData data, string root = "resourceSpans", string? wrapper = null) =>
        new(data, "application/json", root, wrapper, wrapInField1: false);

    /// <summary>
    /// The <c>TracesData</c> bytes, or with <paramref name="wrapInField1"/> a message whose field 1 holds them
    /// (Tempo v2's <c>TraceByIDResponse</c> around its <c>Trace</c>).
    /// </summary>
    public static TraceResult Protobuf(TracesData data, string contentType, bool wrapInField1 = false) =>
        new(data, contentType, null, null, wrapInField1);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        response.ContentType = _contentType;
        if (_jsonRoot is null)
        {
            var size = _data.CalculateSize();
            var header = _wrapInField1 ? new byte[1 + CodedOutputStream.ComputeLengthSize(size)] : [];
            if (_wrapInField1)
            {
                var output = new CodedOutputStream(header);
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteLength(size);
                output.Flush();
            }

            response.ContentLength = header.Length + size;
            response.BodyWriter.Write(header);
            _data.WriteTo(response.BodyWriter);
            await response.BodyWriter.FlushAsync(cancellationToken);
            return;
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        if (_jsonWrapper is not null)
        {
            writer.WriteStartObject(_jsonWrapper);
        }

        await OtlpJsonWriter.WriteResourceSpansAsync(writer, _jsonRoot, _data, cancellationToken);
        if (_jsonWrapper is not null)
        {
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }
}
