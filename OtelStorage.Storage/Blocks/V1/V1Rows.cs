using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using Parquet;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>The columns of one v1 row group in memory, and the conversion of rows back to OTLP.</summary>
internal sealed class V1Rows
{
    private readonly Dictionary<byte[], (OpenTelemetry.Proto.Resource.V1.Resource? Resource, string SchemaUrl)> _resources = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], (OpenTelemetry.Proto.Common.V1.InstrumentationScope? Scope, string SchemaUrl)> _scopes = new(ByteArrayComparer.Instance);

    public int Count { get; private init; }

    public long[] Start { get; private set; } = [];

    public long[] Duration { get; private set; } = [];

    public string[] ServiceName { get; private set; } = [];

    public string[] Name { get; private set; } = [];

    public int[] Kind { get; private set; } = [];

    public int[] StatusCode { get; private set; } = [];

    public string[] HttpMethod { get; private set; } = [];

    public int[] HttpStatusCode { get; private set; } = [];

    public string[] HttpRoute { get; private set; } = [];

    public string[] DbSystem { get; private set; } = [];

    public byte[][] TraceId { get; private set; } = [];

    public byte[][] SpanId { get; private set; } = [];

    public byte[][] ParentSpanId { get; private set; } = [];

    public string[] TraceState { get; private set; } = [];

    public int[] Flags { get; private set; } = [];

    public byte[][] Resource { get; private set; } = [];

    public byte[][] Scope { get; private set; } = [];

    public byte[][] SpanRest { get; private set; } = [];

    /// <summary>No column read yet, for the row group <paramref name="group"/>: columns are then read one by one as a search needs them.</summary>
    public static V1Rows Unread(ParquetRowGroupReader group) => new() { Count = checked((int)group.RowCount) };

    /// <summary>Reads the columns search filters on that are not read yet.</summary>
    public async Task ReadFilterColumnsAsync(ParquetRowGroupReader group, CancellationToken cancellationToken)
    {
        foreach (var field in V1Schema.FilterColumns)
        {
            await ReadFilterColumnAsync(group, field, cancellationToken);
        }
    }

    /// <summary>Reads filter column <paramref name="field"/> unless it is read already.</summary>
    public async Task ReadFilterColumnAsync(ParquetRowGroupReader group, Parquet.Schema.DataField field, CancellationToken cancellationToken)
    {
        var n = Count;
        switch (field.Name)
        {
            case "start_time_unix_nano" when Start.Length != n:
                Start = await ReadAsync<long>(group, V1Schema.StartTime, n, cancellationToken);
                break;
            case "duration_nano" when Duration.Length != n:
                Duration = await ReadAsync<long>(group, V1Schema.Duration, n, cancellationToken);
                break;
            case "service_name" when ServiceName.Length != n:
                ServiceName = await ReadStringsAsync(group, V1Schema.ServiceName, n, cancellationToken);
                break;
            case "name" when Name.Length != n:
                Name = await ReadStringsAsync(group, V1Schema.Name, n, cancellationToken);
                break;
            case "kind" when Kind.Length != n:
                Kind = await ReadAsync<int>(group, V1Schema.Kind, n, cancellationToken);
                break;
            case "status_code" when StatusCode.Length != n:
                StatusCode = await ReadAsync<int>(group, V1Schema.StatusCode, n, cancellationToken);
                break;
            case "http_method" when HttpMethod.Length != n:
                HttpMethod = await ReadStringsAsync(group, V1Schema.HttpMethod, n, cancellationToken);
                break;
            case "http_status_code" when HttpStatusCode.Length != n:
                HttpStatusCode = await ReadAsync<int>(group, V1Schema.HttpStatusCode, n, cancellationToken);
                break;
            case "http_route" when HttpRoute.Length != n:
                HttpRoute = await ReadStringsAsync(group, V1Schema.HttpRoute, n, cancellationToken);
                break;
            case "db_system" when DbSystem.Length != n:
                DbSystem = await ReadStringsAsync(group, V1Schema.DbSystem, n, cancellationToken);
                break;
        }
    }

    /// <summary>Row <paramref name="i"/>'s value in a string column, which must be read.</summary>
    public string Text(SpanColumn column, int i) => column switch
    {
        SpanColumn.Service => ServiceName[i],
        SpanColumn.Name => Name[i],
        SpanColumn.HttpMethod => HttpMethod[i],
        SpanColumn.HttpRoute => HttpRoute[i],
        SpanColumn.DbSystem => DbSystem[i],
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "is not a string column"),
    };

    /// <summary>Row <paramref name="i"/>'s value in an integer column, which must be read.</summary>
    public long Number(SpanColumn column, int i) => column switch
    {
        SpanColumn.Kind => Kind[i],
        SpanColumn.Status => StatusCode[i],
        SpanColumn.Duration => Duration[i],
        SpanColumn.Start => Start[i],
        SpanColumn.HttpStatusCode => HttpStatusCode[i],
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "is not an integer column"),
    };

    /// <summary>Reads the trace ID column alone, for lookups.</summary>
    public static async Task<byte[][]> ReadTraceIdsAsync(ParquetRowGroupReader group, CancellationToken cancellationToken) =>
        await ReadBytesAsync(group, V1Schema.TraceId, checked((int)group.RowCount), cancellationToken);

    /// <summary>Reads every column needed to rebuild spans (after some filter columns, or alone).</summary>
    public static async Task<V1Rows> ReadAllAsync(ParquetRowGroupReader group, V1Rows? filterColumns, CancellationToken cancellationToken)
    {
        var rows = filterColumns ?? Unread(group);
        await rows.ReadFilterColumnsAsync(group, cancellationToken);
        var n = rows.Count;
        rows.TraceId = await ReadBytesAsync(group, V1Schema.TraceId, n, cancellationToken);
        rows.SpanId = await ReadBytesAsync(group, V1Schema.SpanId, n, cancellationToken);
        rows.ParentSpanId = await ReadBytesAsync(group, V1Schema.ParentSpanId, n, cancellationToken);
        rows.TraceState = await ReadStringsAsync(group, V1Schema.TraceState, n, cancellationToken);
        rows.Flags = await ReadAsync<int>(group, V1Schema.Flags, n, cancellationToken);
        rows.Resource = await ReadBytesAsync(group, V1Schema.Resource, n, cancellationToken);
        rows.Scope = await ReadBytesAsync(group, V1Schema.Scope, n, cancellationToken);
        rows.SpanRest = await ReadBytesAsync(group, V1Schema.SpanRest, n, cancellationToken);
        return rows;
    }

    /// <summary>Rebuilds row <paramref name="i"/> as OTLP, byte-for-byte equal to what was written.</summary>
    public StoredSpan ToStoredSpan(int i, string blockId)
    {
        var span = Span.Parser.ParseFrom(SpanRest[i]);
        span.TraceId = UnsafeByteOperations.UnsafeWrap(TraceId[i]);
        span.SpanId = UnsafeByteOperations.UnsafeWrap(SpanId[i]);
        span.ParentSpanId = UnsafeByteOperations.UnsafeWrap(ParentSpanId[i]);
        span.StartTimeUnixNano = unchecked((ulong)Start[i]);
        span.EndTimeUnixNano = unchecked((ulong)Start[i] + (ulong)Duration[i]);
        span.Name = Name[i];
        span.Kind = (Span.Types.SpanKind)Kind[i];
        span.TraceState = TraceState[i];
        span.Flags = unchecked((uint)Flags[i]);

        var resource = ResourceOf(i);
        if (!_scopes.TryGetValue(Scope[i], out var scope))
        {
            var ss = ScopeSpans.Parser.ParseFrom(Scope[i]);
            scope = (ss.Scope, ss.SchemaUrl);
            _scopes[Scope[i]] = scope;
        }

        return new StoredSpan
        {
            Resource = resource.Resource,
            ResourceSchemaUrl = resource.SchemaUrl,
            Scope = scope.Scope,
            ScopeSchemaUrl = scope.SchemaUrl,
            Span = span,
            ServiceName = ServiceName[i],
            BlockId = blockId,
        };
    }

    /// <summary>
    /// Whether row <paramref name="i"/> has every wanted attribute, on the span or its resource, with the text
    /// <see cref="AttributeText.Format"/> gives. The span's attributes are read from its encoded bytes, and only a
    /// value whose key matches is decoded, so a search never decodes the attributes, events and links of the spans it
    /// passes over, however large they are.
    /// </summary>
    public bool AttributesMatch(int i, IReadOnlyList<AttributeFilter> wanted)
    {
        foreach (var filter in wanted)
        {
            var onSpan = EncodedSpanHas(SpanRest[i], filter) ?? Has(Span.Parser.ParseFrom(SpanRest[i]).Attributes, filter);
            if (!onSpan && !Has(ResourceOf(i).Resource?.Attributes, filter))
            {
                return false;
            }
        }

        return true;
    }

    private (OpenTelemetry.Proto.Resource.V1.Resource? Resource, string SchemaUrl) ResourceOf(int i)
    {
        if (!_resources.TryGetValue(Resource[i], out var resource))
        {
            var rs = ResourceSpans.Parser.ParseFrom(Resource[i]);
            resource = (rs.Resource, rs.SchemaUrl);
            _resources[Resource[i]] = resource;
        }

        return resource;
    }

    private static bool Has(IEnumerable<OpenTelemetry.Proto.Common.V1.KeyValue>? attributes, AttributeFilter filter)
    {
        foreach (var kv in attributes ?? [])
        {
            if (kv.Key == filter.Key && AttributeText.Format(kv.Value) == filter.Value)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Scans the encoded span's attributes (field 9) for the filter; null when the bytes hold something the scan does
    /// not handle (groups, a repeated value field), and the caller decodes the span instead.
    /// </summary>
    private static bool? EncodedSpanHas(ReadOnlySpan<byte> span, AttributeFilter filter)
    {
        var fields = new EncodedFields(span);
        while (fields.MoveNext())
        {
            if (fields.Number == 9 && KeyValueHas(fields.Payload, filter) is var found && found != false)
            {
                return found;
            }
        }

        return fields.Unreadable ? null : false;
    }

    private static bool? KeyValueHas(ReadOnlySpan<byte> keyValue, AttributeFilter filter)
    {
        ReadOnlySpan<byte> key = default;
        ReadOnlySpan<byte> value = default;
        var values = 0;
        var fields = new EncodedFields(keyValue);
        while (fields.MoveNext())
        {
            if (fields.Number == 1)
            {
                key = fields.Payload;
            }
            else if (fields.Number == 2)
            {
                value = fields.Payload;
                values++;
            }
        }

        if (fields.Unreadable)
        {
            return null;
        }

        if (!key.SequenceEqual(filter.KeyUtf8) && (System.Text.Unicode.Utf8.IsValid(key) || System.Text.Encoding.UTF8.GetString(key) != filter.Key))
        {
            return false;
        }

        // Two value fields merge in protobuf: leave that to the full decode.
        return values > 1 ? null : values == 1 && AttributeText.Format(OpenTelemetry.Proto.Common.V1.AnyValue.Parser.ParseFrom(value)) == filter.Value;
    }

    /// <summary>A trace ID as a big-endian 128-bit number, the order rows are sorted in (shorter IDs zero-padded).</summary>
    public static UInt128 TraceKey(ReadOnlySpan<byte> traceId)
    {
        if (traceId.Length >= 16)
        {
            return BinaryPrimitives.ReadUInt128BigEndian(traceId);
        }

        Span<byte> padded = stackalloc byte[16];
        padded.Clear();
        traceId.CopyTo(padded);
        return BinaryPrimitives.ReadUInt128BigEndian(padded);
    }

    private static async Task<T[]> ReadAsync<T>(ParquetRowGroupReader group, Parquet.Schema.DataField field, int n, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T[n];
        await group.ReadAsync<T>(field, values.AsMemory(), null, cancellationToken);
        return values;
    }

    private static async Task<string[]> ReadStringsAsync(ParquetRowGroupReader group, Parquet.Schema.DataField field, int n, CancellationToken cancellationToken)
    {
        var values = new string?[n];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
        return values!;
    }

    private static async Task<byte[][]> ReadBytesAsync(ParquetRowGroupReader group, Parquet.Schema.DataField field, int n, CancellationToken cancellationToken)
    {
        var values = new byte[]?[n];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
        return values!;
    }
}

/// <summary>One attribute filter of a search, with its key in UTF-8 for comparing encoded keys.</summary>
internal readonly record struct AttributeFilter(string Key, string Value)
{
    public byte[] KeyUtf8 { get; } = System.Text.Encoding.UTF8.GetBytes(Key);
}
