using System.Text;
using System.Text.Json;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;

namespace Query.Api.Formats;

/// <summary>
/// OTLP spans to Jaeger's JSON model, following the OpenTelemetry Collector's Jaeger translator
/// (pkg/translator/jaeger, internal_to_jaegerproto.go): the parent is a CHILD_OF reference and links are
/// FOLLOWS_FROM; span kind, status and scope become the tags <c>span.kind</c>, <c>otel.status_code</c>,
/// <c>otel.status_description</c>, <c>error</c>, <c>otel.scope.name</c> and <c>otel.scope.version</c>; events
/// become logs with an <c>event</c> field; the resource becomes the process, <c>service.name</c> its name.
/// </summary>
public static class JaegerConverter
{
    /// <summary>One trace; processes are numbered p1, p2, ... in order of first appearance.</summary>
    public static JaegerTrace ToTrace(IReadOnlyList<StoredSpan> spans)
    {
        var processes = new Dictionary<string, JaegerProcess>(StringComparer.Ordinal);
        var processIds = new Dictionary<OpenTelemetry.Proto.Resource.V1.Resource, string>();
        var emptyResourceId = (string?)null;
        var result = new List<JaegerSpan>(spans.Count);
        foreach (var s in spans)
        {
            string processId;
            if (s.Resource is null)
            {
                processId = emptyResourceId ??= AddProcess(processes, null);
            }
            else if (!processIds.TryGetValue(s.Resource, out processId!))
            {
                processId = AddProcess(processes, s.Resource);
                processIds[s.Resource] = processId;
            }

            result.Add(ToSpan(s, processId));
        }

        var traceId = spans.Count > 0 ? Convert.ToHexStringLower(spans[0].Span.TraceId.Span) : string.Empty;
        return new JaegerTrace(traceId, result, processes, null);
    }

    private static string AddProcess(Dictionary<string, JaegerProcess> processes, OpenTelemetry.Proto.Resource.V1.Resource? resource)
    {
        var id = "p" + (processes.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var serviceName = "unknown_service";
        var tags = new List<JaegerKeyValue>();
        foreach (var kv in resource?.Attributes ?? [])
        {
            if (kv.Key == "service.name" && kv.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                serviceName = kv.Value.StringValue;
            }
            else
            {
                tags.Add(Tag(kv.Key, kv.Value));
            }
        }

        processes[id] = new JaegerProcess(serviceName, tags);
        return id;
    }

    public static JaegerSpan ToSpan(StoredSpan stored, string processId)
    {
        var span = stored.Span;
        var traceId = Convert.ToHexStringLower(span.TraceId.Span);
        var references = new List<JaegerReference>();
        if (!span.ParentSpanId.IsEmpty)
        {
            references.Add(new JaegerReference("CHILD_OF", traceId, Convert.ToHexStringLower(span.ParentSpanId.Span)));
        }

        foreach (var link in span.Links)
        {
            references.Add(new JaegerReference("FOLLOWS_FROM", Convert.ToHexStringLower(link.TraceId.Span), Convert.ToHexStringLower(link.SpanId.Span)));
        }

        var tags = new List<JaegerKeyValue>(span.Attributes.Count + 6);
        foreach (var kv in span.Attributes)
        {
            tags.Add(Tag(kv.Key, kv.Value));
        }

        if (stored.Scope is { } scope)
        {
            if (scope.Name.Length > 0)
            {
                tags.Add(new JaegerKeyValue("otel.scope.name", "string", scope.Name));
            }

            if (scope.Version.Length > 0)
            {
                tags.Add(new JaegerKeyValue("otel.scope.version", "string", scope.Version));
            }
        }

        if (KindName(span.Kind) is { } kind)
        {
            tags.Add(new JaegerKeyValue("span.kind", "string", kind));
        }

        switch (span.Status?.Code)
        {
            case Status.Types.StatusCode.Ok:
                tags.Add(new JaegerKeyValue("otel.status_code", "string", "OK"));
                break;
            case Status.Types.StatusCode.Error:
                tags.Add(new JaegerKeyValue("otel.status_code", "string", "ERROR"));
                tags.Add(new JaegerKeyValue("error", "bool", true));
                if (span.Status.Message.Length > 0)
                {
                    tags.Add(new JaegerKeyValue("otel.status_description", "string", span.Status.Message));
                }

                break;
        }

        if (span.TraceState.Length > 0)
        {
            tags.Add(new JaegerKeyValue("w3c.tracestate", "string", span.TraceState));
        }

        var logs = new List<JaegerLog>(span.Events.Count);
        foreach (var e in span.Events)
        {
            var fields = new List<JaegerKeyValue>(e.Attributes.Count + 1);
            if (e.Name.Length > 0)
            {
                fields.Add(new JaegerKeyValue("event", "string", e.Name));
            }

            foreach (var kv in e.Attributes)
            {
                fields.Add(Tag(kv.Key, kv.Value));
            }

            logs.Add(new JaegerLog(e.TimeUnixNano / 1000, fields));
        }

        var duration = span.EndTimeUnixNano >= span.StartTimeUnixNano ? (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1000 : 0;
        return new JaegerSpan(
            traceId,
            Convert.ToHexStringLower(span.SpanId.Span),
            span.Name,
            references,
            span.Flags & 0xFF,
            span.StartTimeUnixNano / 1000,
            duration,
            tags,
            logs,
            processId,
            null);
    }

    /// <summary>Jaeger's lowercase span kind, or null for UNSPECIFIED (which the translator leaves out).</summary>
    public static string? KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Internal => "internal",
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => null,
    };

    /// <summary>An attribute as a Jaeger tag; arrays and maps become their OTLP JSON text, as the translator does.</summary>
    public static JaegerKeyValue Tag(string key, AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => new JaegerKeyValue(key, "string", value.StringValue),
        AnyValue.ValueOneofCase.BoolValue => new JaegerKeyValue(key, "bool", value.BoolValue),
        AnyValue.ValueOneofCase.IntValue => new JaegerKeyValue(key, "int64", value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value.DoubleValue) => new JaegerKeyValue(key, "float64", value.DoubleValue),
        AnyValue.ValueOneofCase.DoubleValue => new JaegerKeyValue(key, "string", value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        AnyValue.ValueOneofCase.BytesValue => new JaegerKeyValue(key, "binary", value.BytesValue.ToBase64()),
        AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue => new JaegerKeyValue(key, "string", CompositeJson(value)),
        _ => new JaegerKeyValue(key, "string", string.Empty),
    };

    private static string CompositeJson(AnyValue value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WritePlain(writer, value);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // Arrays as JSON arrays and maps as JSON objects of their plain values, like AnyValue.AsString in pdata.
    private static void WritePlain(Utf8JsonWriter writer, AnyValue? value)
    {
        switch (value?.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                writer.WriteStringValue(value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                writer.WriteBooleanValue(value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                writer.WriteNumberValue(value.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value.DoubleValue):
                writer.WriteNumberValue(value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                writer.WriteStringValue(value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                writer.WriteStringValue(value.BytesValue.ToBase64());
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                writer.WriteStartArray();
                foreach (var v in value.ArrayValue.Values)
                {
                    WritePlain(writer, v);
                }

                writer.WriteEndArray();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                writer.WriteStartObject();
                foreach (var kv in value.KvlistValue.Values)
                {
                    writer.WritePropertyName(kv.Key);
                    WritePlain(writer, kv.Value);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
