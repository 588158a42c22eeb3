using System.Buffers;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Wire;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Reads OTLP protobuf into v1 rows without materializing it. A span's scalar fields go to columns; the rest of the
/// span (attributes, events, links, status, dropped counts and unknown fields) is kept verbatim as
/// <c>span_rest</c>. Resources and scopes are kept once per distinct value. Span bytes are copied once, into the
/// block's <see cref="SpanArena"/>. Field numbers are those of the OTLP types generated from protos/.
/// </summary>
internal sealed class V1WireScanner
{
    private readonly SpanArena _arena;
    private readonly BlockStrings _strings;
    private readonly V1Envelopes _envelopes;
    private readonly V1AttributePromoter _promoter;
    private readonly ArrayBufferWriter<byte> _rest = new(512);

    public V1WireScanner(SpanArena arena, BlockStrings strings, V1Envelopes envelopes)
    {
        _arena = arena;
        _strings = strings;
        _envelopes = envelopes;
        _promoter = new V1AttributePromoter(strings);
    }

    /// <summary>
    /// Appends a row to <paramref name="rows"/> for every span of a protobuf <c>ExportTraceServiceRequest</c> (or
    /// <c>TracesData</c>, which numbers its resource spans alike). Malformed bytes throw <see cref="InvalidDataException"/>.
    /// </summary>
    public void Scan(ReadOnlySpan<byte> request, List<V1Row> rows)
    {
        var wire = new ProtoWire(request);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == ExportTraceServiceRequest.ResourceSpansFieldNumber && wireType == ProtoWire.Len)
            {
                ScanResourceSpans(wire.ReadLengthDelimited(), rows);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    private void ScanResourceSpans(ReadOnlySpan<byte> resourceSpans, List<V1Row> rows)
    {
        // Pass 1: the resource and schema URL, which may follow the scope spans on the wire.
        ReadOnlySpan<byte> resource = default, schemaUrl = default;
        var hasResource = false;
        var wire = new ProtoWire(resourceSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == ResourceSpans.ResourceFieldNumber && wireType == ProtoWire.Len)
            {
                resource = wire.ReadLengthDelimited();
                hasResource = true;
            }
            else if (field == ResourceSpans.SchemaUrlFieldNumber && wireType == ProtoWire.Len)
            {
                schemaUrl = wire.ReadLengthDelimited();
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        var key = Envelope(ResourceSpans.ResourceFieldNumber, hasResource, resource, ResourceSpans.SchemaUrlFieldNumber, schemaUrl);
        if (!_envelopes.ResourceIds.TryGetValue(key, out var resourceId))
        {
            var parsed = ResourceSpans.Parser.ParseFrom(key);
            resourceId = _envelopes.Resources.Count;
            _envelopes.Resources.Add(_arena.Append(key));
            _envelopes.AddResourceService(resourceId, _strings.Id(ServiceNameOf(parsed.Resource?.Attributes)), parsed.Resource?.Attributes);
            _envelopes.ResourceIds[key] = resourceId;
        }

        wire = new ProtoWire(resourceSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == ResourceSpans.ScopeSpansFieldNumber && wireType == ProtoWire.Len)
            {
                ScanScopeSpans(wire.ReadLengthDelimited(), resourceId, rows);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    private void ScanScopeSpans(ReadOnlySpan<byte> scopeSpans, int resourceId, List<V1Row> rows)
    {
        ReadOnlySpan<byte> scope = default, schemaUrl = default;
        var hasScope = false;
        var wire = new ProtoWire(scopeSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == ScopeSpans.ScopeFieldNumber && wireType == ProtoWire.Len)
            {
                scope = wire.ReadLengthDelimited();
                hasScope = true;
            }
            else if (field == ScopeSpans.SchemaUrlFieldNumber && wireType == ProtoWire.Len)
            {
                schemaUrl = wire.ReadLengthDelimited();
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        var key = Envelope(ScopeSpans.ScopeFieldNumber, hasScope, scope, ScopeSpans.SchemaUrlFieldNumber, schemaUrl);
        if (!_envelopes.ScopeIds.TryGetValue(key, out var scopeId))
        {
            ScopeSpans.Parser.ParseFrom(key);
            scopeId = _envelopes.Scopes.Count;
            _envelopes.Scopes.Add(_arena.Append(key));
            _envelopes.ScopeIds[key] = scopeId;
        }

        wire = new ProtoWire(scopeSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == ScopeSpans.SpansFieldNumber && wireType == ProtoWire.Len)
            {
                rows.Add(ScanSpan(wire.ReadLengthDelimited(), resourceId, scopeId));
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    /// <summary>
    /// Splits a span into its scalar columns and <c>span_rest</c>: the raw bytes of every other field, tags
    /// included, in wire order (attributes, events, links, status, dropped counts and unknown fields). Parsing
    /// span_rest and setting the scalars back yields the same message; proto3 omits default scalars, so a scalar
    /// that was absent comes back absent.
    /// </summary>
    private V1Row ScanSpan(ReadOnlySpan<byte> span, int resourceId, int scopeId)
    {
        var row = new V1Row { Resource = resourceId, Scope = scopeId };
        ulong end = 0;
        _rest.ResetWrittenCount();
        var ranks = new V1AttributePromoter.Ranks();
        var wire = new ProtoWire(span);
        while (true)
        {
            var start = wire.Position;
            if (!wire.TryReadTag(out var field, out var wireType))
            {
                break;
            }

            switch (field, wireType)
            {
                case (Span.TraceIdFieldNumber, ProtoWire.Len):
                    row.TraceId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (Span.SpanIdFieldNumber, ProtoWire.Len):
                    row.SpanId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (Span.TraceStateFieldNumber, ProtoWire.Len):
                    row.TraceState = _strings.Id(wire.ReadLengthDelimited());
                    break;
                case (Span.ParentSpanIdFieldNumber, ProtoWire.Len):
                    row.ParentSpanId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (Span.NameFieldNumber, ProtoWire.Len):
                    row.Name = _strings.Id(wire.ReadLengthDelimited());
                    break;
                case (Span.KindFieldNumber, ProtoWire.Varint):
                    row.Kind = unchecked((int)wire.ReadVarint());
                    break;
                case (Span.StartTimeUnixNanoFieldNumber, ProtoWire.Fixed64):
                    row.Start = wire.ReadFixed64();
                    break;
                case (Span.EndTimeUnixNanoFieldNumber, ProtoWire.Fixed64):
                    end = wire.ReadFixed64();
                    break;
                case (Span.FlagsFieldNumber, ProtoWire.Fixed32):
                    row.Flags = unchecked((int)wire.ReadFixed32());
                    break;
                case (Span.AttributesFieldNumber, ProtoWire.Len):
                    _promoter.Promote(wire.ReadLengthDelimited(), ref row, ref ranks);
                    _rest.Write(wire.Since(start));
                    break;
                case (Span.StatusFieldNumber, ProtoWire.Len):
                    row.StatusCode = StatusCodeOf(wire.ReadLengthDelimited());
                    _rest.Write(wire.Since(start));
                    break;
                default:
                    wire.SkipField(field, wireType);
                    _rest.Write(wire.Since(start));
                    break;
            }
        }

        // Stored as end minus start with wrap-around, so any (start, end) pair, even end < start, comes back exactly.
        row.Duration = unchecked((long)(end - row.Start));
        row.Rest = _arena.Append(_rest.WrittenSpan);
        row.Inexact = ranks.Inexact | (_envelopes.InexactServices.Contains(resourceId) ? InexactColumns.Service : 0);
        return row;
    }

    private static int StatusCodeOf(ReadOnlySpan<byte> status)
    {
        var code = 0;
        var wire = new ProtoWire(status);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == Status.CodeFieldNumber && wireType == ProtoWire.Varint)
            {
                code = unchecked((int)wire.ReadVarint());
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        return code;
    }

    /// <summary>
    /// A ResourceSpans (or ScopeSpans) holding only its resource (or scope) and its schema URL, as stored in the
    /// resource and scope columns.
    /// </summary>
    private static byte[] Envelope(int messageField, bool hasMessage, ReadOnlySpan<byte> message, int schemaUrlField, ReadOnlySpan<byte> schemaUrl)
    {
        var buffer = new List<byte>(message.Length + schemaUrl.Length + 12);
        if (hasMessage)
        {
            buffer.Add(LengthDelimitedTag(messageField));
            AddVarint(buffer, (ulong)message.Length);
            buffer.AddRange(message);
        }

        if (!schemaUrl.IsEmpty)
        {
            buffer.Add(LengthDelimitedTag(schemaUrlField));
            AddVarint(buffer, (ulong)schemaUrl.Length);
            buffer.AddRange(schemaUrl);
        }

        return [.. buffer];

        // A field numbered below 16, as both are, has a one-byte tag.
        static byte LengthDelimitedTag(int field) => (byte)((field << 3) | ProtoWire.Len);

        static void AddVarint(List<byte> buffer, ulong value)
        {
            while (value >= 0x80)
            {
                buffer.Add((byte)(value | 0x80));
                value >>= 7;
            }

            buffer.Add((byte)value);
        }
    }

    private static string ServiceNameOf(IEnumerable<KeyValue>? attributes)
    {
        if (attributes is null)
        {
            return string.Empty;
        }

        foreach (var kv in attributes)
        {
            if (kv.Key == "service.name" && kv.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                return kv.Value.StringValue;
            }
        }

        return string.Empty;
    }
}
