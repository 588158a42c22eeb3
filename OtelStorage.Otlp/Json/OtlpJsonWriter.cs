using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Otlp.Json;

/// <summary>
/// Writes <c>TracesData</c> and export requests as OTLP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
/// lowerCamelCase names, trace and span IDs as lowercase hex (not base64), 64-bit integers as decimal strings,
/// enums as integers, <c>bytesValue</c> as base64, fields at their default value omitted as the protobuf JSON
/// mapping does. Written directly with <see cref="Utf8JsonWriter"/>, with no intermediate DOM.
/// <see cref="OtlpJson"/> is the decoder.
/// </summary>
public static class OtlpJsonWriter
{
    /// <summary>Pending bytes at which <see cref="WriteResourceSpansAsync"/> flushes, between spans.</summary>
    public const int FlushBytes = 32 * 1024;

    /// <summary><c>{"resourceSpans":[...]}</c>, or the same array under <paramref name="rootName"/> (Tempo's v1 <c>batches</c>).</summary>
    public static byte[] Write(TracesData data, string rootName = "resourceSpans")
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            // Over a buffer writer, flushing only commits what was written: the task is complete when it returns.
            WriteResourceSpansAsync(writer, rootName, data, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"resourceSpans":[...]}</c>: an <c>ExportTraceServiceRequest</c> as OTLP/HTTP JSON clients send it.</summary>
    public static byte[] Write(ExportTraceServiceRequest request) => Write(new TracesData { ResourceSpans = { request.ResourceSpans } });

    /// <summary>
    /// Writes the <c>resourceSpans</c> array (named <paramref name="name"/>) into an open object, flushing the writer
    /// to its output whenever <see cref="FlushBytes"/> are pending: over a response stream, a trace of any size then
    /// goes out in pieces rather than being held whole (and, past 85 KB, on the large object heap) first.
    /// </summary>
    public static async ValueTask WriteResourceSpansAsync(Utf8JsonWriter writer, string name, TracesData data, CancellationToken cancellationToken)
    {
        writer.WriteStartArray(name);
        foreach (var rs in data.ResourceSpans)
        {
            writer.WriteStartObject();
            if (rs.Resource is { } resource)
            {
                writer.WritePropertyName("resource");
                WriteResource(writer, resource);
            }

            writer.WriteStartArray("scopeSpans");
            foreach (var ss in rs.ScopeSpans)
            {
                writer.WriteStartObject();
                if (ss.Scope is { } scope)
                {
                    writer.WritePropertyName("scope");
                    WriteScope(writer, scope);
                }

                writer.WriteStartArray("spans");
                foreach (var span in ss.Spans)
                {
                    WriteSpan(writer, span);
                    if (writer.BytesPending >= FlushBytes)
                    {
                        await writer.FlushAsync(cancellationToken);
                    }
                }

                writer.WriteEndArray();
                WriteStringIfSet(writer, "schemaUrl", ss.SchemaUrl);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            WriteStringIfSet(writer, "schemaUrl", rs.SchemaUrl);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    public static void WriteSpan(Utf8JsonWriter writer, Span span)
    {
        writer.WriteStartObject();
        writer.WriteString("traceId", Convert.ToHexStringLower(span.TraceId.Span));
        writer.WriteString("spanId", Convert.ToHexStringLower(span.SpanId.Span));
        WriteStringIfSet(writer, "traceState", span.TraceState);
        if (!span.ParentSpanId.IsEmpty)
        {
            writer.WriteString("parentSpanId", Convert.ToHexStringLower(span.ParentSpanId.Span));
        }

        if (span.Flags != 0)
        {
            writer.WriteNumber("flags", span.Flags);
        }

        writer.WriteString("name", span.Name);
        writer.WriteNumber("kind", (int)span.Kind);
        writer.WriteString("startTimeUnixNano", span.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture));
        writer.WriteString("endTimeUnixNano", span.EndTimeUnixNano.ToString(CultureInfo.InvariantCulture));
        WriteAttributes(writer, span.Attributes);
        WriteCountIfSet(writer, "droppedAttributesCount", span.DroppedAttributesCount);
        if (span.Events.Count > 0)
        {
            writer.WriteStartArray("events");
            foreach (var e in span.Events)
            {
                writer.WriteStartObject();
                if (e.TimeUnixNano != 0)
                {
                    writer.WriteString("timeUnixNano", e.TimeUnixNano.ToString(CultureInfo.InvariantCulture));
                }

                WriteStringIfSet(writer, "name", e.Name);
                WriteAttributes(writer, e.Attributes);
                WriteCountIfSet(writer, "droppedAttributesCount", e.DroppedAttributesCount);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        WriteCountIfSet(writer, "droppedEventsCount", span.DroppedEventsCount);
        if (span.Links.Count > 0)
        {
            writer.WriteStartArray("links");
            foreach (var l in span.Links)
            {
                writer.WriteStartObject();
                WriteIdIfSet(writer, "traceId", l.TraceId);
                WriteIdIfSet(writer, "spanId", l.SpanId);
                WriteStringIfSet(writer, "traceState", l.TraceState);
                WriteAttributes(writer, l.Attributes);
                WriteCountIfSet(writer, "droppedAttributesCount", l.DroppedAttributesCount);
                if (l.Flags != 0)
                {
                    writer.WriteNumber("flags", l.Flags);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        WriteCountIfSet(writer, "droppedLinksCount", span.DroppedLinksCount);
        if (span.Status is { } status)
        {
            writer.WriteStartObject("status");
            WriteStringIfSet(writer, "message", status.Message);
            if (status.Code != 0)
            {
                writer.WriteNumber("code", (int)status.Code);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteResource(Utf8JsonWriter writer, Resource resource)
    {
        writer.WriteStartObject();
        WriteAttributes(writer, resource.Attributes);
        WriteCountIfSet(writer, "droppedAttributesCount", resource.DroppedAttributesCount);
        if (resource.EntityRefs.Count > 0)
        {
            writer.WriteStartArray("entityRefs");
            foreach (var e in resource.EntityRefs)
            {
                writer.WriteStartObject();
                WriteStringIfSet(writer, "schemaUrl", e.SchemaUrl);
                WriteStringIfSet(writer, "type", e.Type);
                WriteStrings(writer, "idKeys", e.IdKeys);
                WriteStrings(writer, "descriptionKeys", e.DescriptionKeys);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteScope(Utf8JsonWriter writer, InstrumentationScope scope)
    {
        writer.WriteStartObject();
        WriteStringIfSet(writer, "name", scope.Name);
        WriteStringIfSet(writer, "version", scope.Version);
        WriteAttributes(writer, scope.Attributes);
        WriteCountIfSet(writer, "droppedAttributesCount", scope.DroppedAttributesCount);
        writer.WriteEndObject();
    }

    private static void WriteAttributes(Utf8JsonWriter writer, Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string name = "attributes")
    {
        if (attributes.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var kv in attributes)
        {
            WriteKeyValue(writer, kv);
        }

        writer.WriteEndArray();
    }

    private static void WriteKeyValue(Utf8JsonWriter writer, KeyValue kv)
    {
        writer.WriteStartObject();
        writer.WriteString("key", kv.Key);
        if (kv.Value is { } value)
        {
            writer.WritePropertyName("value");
            WriteAnyValue(writer, value);
        }

        if (kv.KeyStrindex != 0)
        {
            writer.WriteNumber("keyStrindex", kv.KeyStrindex);
        }

        writer.WriteEndObject();
    }

    public static void WriteAnyValue(Utf8JsonWriter writer, AnyValue value)
    {
        writer.WriteStartObject();
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                writer.WriteString("stringValue", value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                writer.WriteBoolean("boolValue", value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                writer.WriteString("intValue", value.IntValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                // The protobuf JSON mapping writes non-finite doubles as the strings "NaN", "Infinity" and "-Infinity".
                if (double.IsFinite(value.DoubleValue))
                {
                    writer.WriteNumber("doubleValue", value.DoubleValue);
                }
                else
                {
                    writer.WriteString("doubleValue", double.IsNaN(value.DoubleValue) ? "NaN" : value.DoubleValue > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case AnyValue.ValueOneofCase.BytesValue:
                writer.WriteString("bytesValue", value.BytesValue.ToBase64());
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                writer.WriteStartObject("arrayValue");
                if (value.ArrayValue.Values.Count > 0)
                {
                    writer.WriteStartArray("values");
                    foreach (var v in value.ArrayValue.Values)
                    {
                        WriteAnyValue(writer, v);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                writer.WriteStartObject("kvlistValue");
                WriteAttributes(writer, value.KvlistValue.Values, "values");
                writer.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.StringValueStrindex:
                writer.WriteNumber("stringValueStrindex", value.StringValueStrindex);
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, Google.Protobuf.Collections.RepeatedField<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteStringValue(v);
        }

        writer.WriteEndArray();
    }

    private static void WriteStringIfSet(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteIdIfSet(Utf8JsonWriter writer, string name, ByteString id)
    {
        if (!id.IsEmpty)
        {
            writer.WriteString(name, Convert.ToHexStringLower(id.Span));
        }
    }

    private static void WriteCountIfSet(Utf8JsonWriter writer, string name, uint count)
    {
        if (count != 0)
        {
            writer.WriteNumber(name, count);
        }
    }
}
