using Google.Protobuf;
using OtelStorage.Otlp.Wire;
using OtelStorage.Storage.Blocks.Metadata;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Copies the rows of stored v1 blocks into a block being built, for compaction: IDs, span_rest, resource and scope
/// bytes go to the arena and strings to the block's strings, with nothing parsed. Decoding each span to OTLP and
/// encoding it again would cost more CPU and hold every span twice (docs/performance-compaction.md).
/// </summary>
internal sealed class V1RowCopier(SpanArena arena, BlockStrings strings, V1Envelopes envelopes)
{
    private readonly V1AttributePromoter _promoter = new(strings);
    private (byte[]? Key, int Id) _lastResource;
    private (byte[]? Key, int Id) _lastScope;

    /// <summary>
    /// Appends to <paramref name="copied"/> the rows of a row group whose (trace ID, span ID) key <paramref name="keep"/>
    /// accepts, in stored order, and returns their protobuf size, as <see cref="IBlockBuilder.ByteCount"/> counts spans
    /// that arrive as requests.
    /// </summary>
    public long Copy(V1Rows rows, Func<UInt128, ulong, bool> keep, List<V1Row> copied)
    {
        long bytes = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (keep(MetadataExtractor.TraceKey(rows.TraceId[i]), MetadataExtractor.SpanKey(rows.SpanId[i])))
            {
                copied.Add(CopyRow(rows, i));
                bytes += SpanBytes(rows, i);
            }
        }

        return bytes;
    }

    private V1Row CopyRow(V1Rows rows, int i)
    {
        var resource = ResourceId(rows.Resource[i], rows.ServiceName[i]);
        return new()
        {
            TraceId = arena.Append(rows.TraceId[i]),
            SpanId = arena.Append(rows.SpanId[i]),
            ParentSpanId = arena.Append(rows.ParentSpanId[i]),
            Rest = arena.Append(rows.SpanRest[i]),
            Start = unchecked((ulong)rows.Start[i]),
            Duration = rows.Duration[i],
            Name = strings.Id(rows.Name[i]),
            TraceState = strings.Id(rows.TraceState[i]),
            HttpMethod = strings.Id(rows.HttpMethod[i]),
            HttpRoute = strings.Id(rows.HttpRoute[i]),
            DbSystem = strings.Id(rows.DbSystem[i]),
            Kind = rows.Kind[i],
            StatusCode = rows.StatusCode[i],
            Flags = rows.Flags[i],
            HttpStatusCode = rows.HttpStatusCode[i],
            Resource = resource,
            Scope = ScopeId(rows.Scope[i]),
            Inexact = InexactAttributes(rows.SpanRest[i]) | (envelopes.InexactServices.Contains(resource) ? InexactColumns.Service : 0),
        };
    }

    // The flags are not stored per row, so they are found again from the span's attributes, read as the wire scanner reads them.
    private InexactColumns InexactAttributes(ReadOnlySpan<byte> spanRest)
    {
        var row = default(V1Row);
        var ranks = new V1AttributePromoter.Ranks();
        var wire = new ProtoWire(spanRest);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == OpenTelemetry.Proto.Trace.V1.Span.AttributesFieldNumber && wireType == ProtoWire.Len)
            {
                _promoter.Promote(wire.ReadLengthDelimited(), ref row, ref ranks);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        return ranks.Inexact;
    }

    // Rows of a row group share the byte arrays of its dictionary-encoded columns, so the last key is checked by reference first.
    private int ResourceId(byte[] envelope, string? service)
    {
        if (ReferenceEquals(envelope, _lastResource.Key))
        {
            return _lastResource.Id;
        }

        if (!envelopes.ResourceIds.TryGetValue(envelope, out var id))
        {
            id = envelopes.Resources.Count;
            envelopes.Resources.Add(arena.Append(envelope));
            envelopes.AddResourceService(id, strings.Id(service), OpenTelemetry.Proto.Trace.V1.ResourceSpans.Parser.ParseFrom(envelope).Resource?.Attributes);
            envelopes.ResourceIds[envelope] = id;
        }

        _lastResource = (envelope, id);
        return id;
    }

    private int ScopeId(byte[] envelope)
    {
        if (ReferenceEquals(envelope, _lastScope.Key))
        {
            return _lastScope.Id;
        }

        if (!envelopes.ScopeIds.TryGetValue(envelope, out var id))
        {
            id = envelopes.Scopes.Count;
            envelopes.Scopes.Add(arena.Append(envelope));
            envelopes.ScopeIds[envelope] = id;
        }

        _lastScope = (envelope, id);
        return id;
    }

    /// <summary>The protobuf size of a copied span.</summary>
    private static long SpanBytes(V1Rows rows, int i)
    {
        static int Field(int length) => length == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(length) + length;
        var kind = rows.Kind[i] == 0 ? 0 : 1 + CodedOutputStream.ComputeInt32Size(rows.Kind[i]);
        var flags = rows.Flags[i] == 0 ? 0 : 6;
        var start = unchecked((ulong)rows.Start[i]);
        var times = (start == 0 ? 0 : 9) + (unchecked(start + (ulong)rows.Duration[i]) == 0 ? 0 : 9);
        return Field(rows.TraceId[i].Length) + Field(rows.SpanId[i].Length) + Field(rows.ParentSpanId[i].Length)
            + Field(System.Text.Encoding.UTF8.GetByteCount(rows.Name[i] ?? string.Empty))
            + Field(System.Text.Encoding.UTF8.GetByteCount(rows.TraceState[i] ?? string.Empty))
            + kind + flags + times + rows.SpanRest[i].Length;
    }
}
