using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks.Metadata;
using Parquet;
using Parquet.Schema;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Flattens OTLP requests into v1 rows and encodes them. A span's scalar fields go to columns; the rest of the
/// span (attributes, events, links, status, dropped counts and unknown fields) is re-serialized as
/// <c>span_rest</c>. Resources and scopes are serialized once per distinct value and dictionary-encoded.
/// </summary>
internal sealed class V1BlockBuilder(string tenant, BlockBuildOptions options) : IBlockBuilder
{
    private readonly List<Row> _rows = [];
    private readonly Dictionary<byte[], int> _resourceIds = new(ByteArrayComparer.Instance);
    private readonly List<(byte[] Bytes, string Service)> _resources = [];
    private readonly Dictionary<byte[], int> _scopeIds = new(ByteArrayComparer.Instance);
    private readonly List<byte[]> _scopes = [];

    public string Tenant { get; } = TenantId.Validate(tenant);

    public int SpanCount => _rows.Count;

    public void Add(ExportTraceServiceRequest request)
    {
        foreach (var rs in request.ResourceSpans)
        {
            var resourceBytes = new OpenTelemetry.Proto.Trace.V1.ResourceSpans { Resource = rs.Resource, SchemaUrl = rs.SchemaUrl }.ToByteArray();
            if (!_resourceIds.TryGetValue(resourceBytes, out var resourceId))
            {
                resourceId = _resources.Count;
                _resources.Add((resourceBytes, ServiceNameOf(rs.Resource?.Attributes)));
                _resourceIds[resourceBytes] = resourceId;
            }

            foreach (var ss in rs.ScopeSpans)
            {
                var scopeBytes = new ScopeSpans { Scope = ss.Scope, SchemaUrl = ss.SchemaUrl }.ToByteArray();
                if (!_scopeIds.TryGetValue(scopeBytes, out var scopeId))
                {
                    scopeId = _scopes.Count;
                    _scopes.Add(scopeBytes);
                    _scopeIds[scopeBytes] = scopeId;
                }

                foreach (var span in ss.Spans)
                {
                    _rows.Add(ToRow(span, resourceId, scopeId));
                }
            }
        }
    }

    public async Task<EncodedBlock> BuildAsync(string blockId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        BlockId.Validate(blockId);
        var rows = _rows.ToArray();
        Array.Sort(rows, RowOrder.Instance);

        using var data = new MemoryStream(Math.Max(1024, rows.Length * 64));
        var parquetOptions = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = options.Compression };
        foreach (var f in new DataField[] { V1Schema.Resource, V1Schema.Scope, V1Schema.ServiceName, V1Schema.Name, V1Schema.HttpMethod, V1Schema.HttpRoute, V1Schema.DbSystem, V1Schema.TraceState })
        {
            parquetOptions.ColumnEncodingHints[f.Path.ToString()] = EncodingHint.Dictionary;
        }

        var ranges = new List<(int Start, int Count)>();
        await using (var writer = await ParquetWriter.CreateAsync(V1Schema.Schema, data, parquetOptions, append: false, cancellationToken))
        {
            writer.CustomMetadata = new Dictionary<string, string> { ["otelstorage.format"] = V1Encoding.VersionName, ["otelstorage.tenant"] = Tenant, ["otelstorage.block"] = blockId };
            for (var start = 0; start < rows.Length; start += options.RowGroupSpans)
            {
                var count = Math.Min(options.RowGroupSpans, rows.Length - start);
                await WriteRowGroupAsync(writer, new ArraySegment<Row>(rows, start, count), cancellationToken);
                ranges.Add((start, count));
            }
        }

        var bytes = data.ToArray();
        var index = await BuildIndexAsync(bytes, rows, ranges, cancellationToken);
        var indexBytes = index.Serialize();
        var meta = BuildMeta(blockId, createdAt, rows, bytes.Length, indexBytes.Length, ranges.Count);
        return new EncodedBlock(meta, bytes, indexBytes);
    }

    private static Row ToRow(Span span, int resourceId, int scopeId)
    {
        var row = new Row
        {
            TraceId = span.TraceId.ToByteArray(),
            SpanId = span.SpanId.ToByteArray(),
            ParentSpanId = span.ParentSpanId.ToByteArray(),
            Start = span.StartTimeUnixNano,
            // Stored as end minus start with wrap-around, so any (start, end) pair, even end < start, comes back exactly.
            Duration = unchecked((long)(span.EndTimeUnixNano - span.StartTimeUnixNano)),
            Name = span.Name,
            Kind = (int)span.Kind,
            StatusCode = (int)(span.Status?.Code ?? Status.Types.StatusCode.Unset),
            TraceState = span.TraceState,
            Flags = unchecked((int)span.Flags),
            Resource = resourceId,
            Scope = scopeId,
            HttpMethod = string.Empty,
            HttpRoute = string.Empty,
            DbSystem = string.Empty,
        };
        PromoteAttributes(span, ref row);

        // Scalars live in their columns; proto3 omits default scalars, so clearing them and setting them back on
        // read reproduces the original bytes.
        span.TraceId = ByteString.Empty;
        span.SpanId = ByteString.Empty;
        span.ParentSpanId = ByteString.Empty;
        span.StartTimeUnixNano = 0;
        span.EndTimeUnixNano = 0;
        span.Name = string.Empty;
        span.Kind = Span.Types.SpanKind.Unspecified;
        span.TraceState = string.Empty;
        span.Flags = 0;
        row.Rest = span.ToByteArray();
        return row;
    }

    private static void PromoteAttributes(Span span, ref Row row)
    {
        int methodRank = int.MaxValue, statusRank = int.MaxValue, dbRank = int.MaxValue;
        foreach (var kv in span.Attributes)
        {
            switch (kv.Key)
            {
                case "http.request.method" or "http.method":
                    Take(kv, kv.Key == "http.request.method" ? 0 : 1, ref methodRank, ref row.HttpMethod);
                    break;
                case "http.response.status_code" or "http.status_code":
                    var rank = kv.Key == "http.response.status_code" ? 0 : 1;
                    if (rank < statusRank && TryGetInt(kv.Value, out var code))
                    {
                        statusRank = rank;
                        row.HttpStatusCode = code;
                    }

                    break;
                case "http.route":
                    if (kv.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
                    {
                        row.HttpRoute = kv.Value.StringValue;
                    }

                    break;
                case "db.system.name" or "db.system":
                    Take(kv, kv.Key == "db.system.name" ? 0 : 1, ref dbRank, ref row.DbSystem);
                    break;
            }
        }

        static void Take(KeyValue kv, int rank, ref int bestRank, ref string target)
        {
            if (rank < bestRank && kv.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                bestRank = rank;
                target = kv.Value.StringValue;
            }
        }
    }

    private static bool TryGetInt(AnyValue? value, out int result)
    {
        result = 0;
        if (value?.ValueCase == AnyValue.ValueOneofCase.IntValue && value.IntValue is >= int.MinValue and <= int.MaxValue)
        {
            result = (int)value.IntValue;
            return true;
        }

        return value?.ValueCase == AnyValue.ValueOneofCase.StringValue
            && int.TryParse(value.StringValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out result);
    }

    internal static string ServiceNameOf(IEnumerable<KeyValue>? attributes)
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

    private async Task WriteRowGroupAsync(ParquetWriter writer, ArraySegment<Row> rows, CancellationToken cancellationToken)
    {
        var n = rows.Count;
        var bytesColumn = new byte[n][];
        var stringColumn = new string[n];
        var longColumn = new long[n];
        var intColumn = new int[n];
        using var group = writer.CreateRowGroup();

        async Task Bytes(DataField field, Func<Row, byte[]> get)
        {
            for (var i = 0; i < n; i++)
            {
                bytesColumn[i] = get(rows[i]);
            }

            await group.WriteAsync(field, bytesColumn);
        }

        async Task Strings(DataField field, Func<Row, string> get)
        {
            for (var i = 0; i < n; i++)
            {
                stringColumn[i] = get(rows[i]);
            }

            await group.WriteAsync(field, stringColumn);
        }

        async Task Longs(DataField field, Func<Row, long> get)
        {
            for (var i = 0; i < n; i++)
            {
                longColumn[i] = get(rows[i]);
            }

            await group.WriteAsync(field, new ReadOnlyMemory<long>(longColumn), cancellationToken: cancellationToken);
        }

        async Task Ints(DataField field, Func<Row, int> get)
        {
            for (var i = 0; i < n; i++)
            {
                intColumn[i] = get(rows[i]);
            }

            await group.WriteAsync(field, new ReadOnlyMemory<int>(intColumn), cancellationToken: cancellationToken);
        }

        await Bytes(V1Schema.TraceId, r => r.TraceId);
        await Bytes(V1Schema.SpanId, r => r.SpanId);
        await Bytes(V1Schema.ParentSpanId, r => r.ParentSpanId);
        await Longs(V1Schema.StartTime, r => unchecked((long)r.Start));
        await Longs(V1Schema.Duration, r => r.Duration);
        await Strings(V1Schema.ServiceName, r => _resources[r.Resource].Service);
        await Strings(V1Schema.Name, r => r.Name);
        await Ints(V1Schema.Kind, r => r.Kind);
        await Ints(V1Schema.StatusCode, r => r.StatusCode);
        await Strings(V1Schema.TraceState, r => r.TraceState);
        await Ints(V1Schema.Flags, r => r.Flags);
        await Strings(V1Schema.HttpMethod, r => r.HttpMethod);
        await Ints(V1Schema.HttpStatusCode, r => r.HttpStatusCode);
        await Strings(V1Schema.HttpRoute, r => r.HttpRoute);
        await Strings(V1Schema.DbSystem, r => r.DbSystem);
        await Bytes(V1Schema.Resource, r => _resources[r.Resource].Bytes);
        await Bytes(V1Schema.Scope, r => _scopes[r.Scope]);
        await Bytes(V1Schema.SpanRest, r => r.Rest);
        group.CompleteValidate();
    }

    private async Task<BlockIndex> BuildIndexAsync(byte[] data, Row[] rows, List<(int Start, int Count)> ranges, CancellationToken cancellationToken)
    {
        var bloom = BloomFilter.Create(CountTraces(rows), options.BloomFalsePositiveRate);
        foreach (var r in rows)
        {
            bloom.Add(r.TraceId);
        }

        var groups = new List<RowGroupRange>(ranges.Count);
        using var stream = new MemoryStream(data, writable: false);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        var metadata = reader.Metadata ?? throw new InvalidDataException("Parquet writer produced no footer");
        for (var g = 0; g < ranges.Count; g++)
        {
            long first = long.MaxValue, end = 0;
            foreach (var column in metadata.RowGroups[g].Columns)
            {
                var m = column.MetaData!;
                var start = m.DictionaryPageOffset is long d && d > 0 && d < m.DataPageOffset ? d : m.DataPageOffset;
                first = Math.Min(first, start);
                end = Math.Max(end, start + m.TotalCompressedSize);
            }

            var (rowStart, count) = ranges[g];
            ulong minStart = ulong.MaxValue, maxStart = 0;
            for (var i = rowStart; i < rowStart + count; i++)
            {
                minStart = Math.Min(minStart, rows[i].Start);
                maxStart = Math.Max(maxStart, rows[i].Start);
            }

            groups.Add(new RowGroupRange(
                first,
                checked((int)(end - first)),
                count,
                V1Rows.TraceKey(rows[rowStart].TraceId),
                V1Rows.TraceKey(rows[rowStart + count - 1].TraceId),
                minStart,
                maxStart));
        }

        var footerLength = BitConverter.ToInt32(data, data.Length - 8) + 8;
        return new BlockIndex
        {
            Bloom = bloom,
            RowGroups = groups,
            DataLength = data.Length,
            FooterBytes = data.AsMemory(data.Length - footerLength),
        };
    }

    private BlockMeta BuildMeta(string blockId, DateTimeOffset createdAt, Row[] rows, long dataBytes, long indexBytes, int rowGroups)
    {
        var facts = new SpanFacts[rows.Length];
        var operations = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        ulong minStart = ulong.MaxValue, maxStart = 0, maxEnd = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var r = ref rows[i];
            var service = _resources[r.Resource].Service;
            facts[i] = new SpanFacts(r.TraceId, r.SpanId, r.ParentSpanId, service, r.Name, r.Kind, r.StatusCode == (int)Status.Types.StatusCode.Error, r.Duration);
            if (!operations.TryGetValue(service, out var ops))
            {
                operations[service] = ops = new SortedSet<string>(StringComparer.Ordinal);
            }

            ops.Add(r.Name);
            minStart = Math.Min(minStart, r.Start);
            maxStart = Math.Max(maxStart, r.Start);
            maxEnd = Math.Max(maxEnd, unchecked(r.Start + (ulong)r.Duration));
        }

        var extracted = MetadataExtractor.Extract(facts);
        var meta = new BlockMeta
        {
            FormatVersion = V1Encoding.VersionName,
            Tenant = Tenant,
            BlockId = blockId,
            CreatedAt = createdAt,
            MinStartTimeUnixNano = rows.Length == 0 ? 0 : minStart,
            MaxStartTimeUnixNano = maxStart,
            MaxEndTimeUnixNano = maxEnd,
            SpanCount = rows.Length,
            TraceCount = extracted.TraceCount,
            DataSizeBytes = dataBytes,
            IndexSizeBytes = indexBytes,
            SizeBytes = dataBytes + indexBytes,
            RowGroupCount = rowGroups,
            Services = [.. operations.Keys],
            Dependencies = [.. extracted.Dependencies],
            ServiceStatistics = [.. extracted.Services],
            OperationStatistics = [.. extracted.Operations],
        };
        foreach (var (service, ops) in operations)
        {
            meta.Operations[service] = [.. ops];
        }

        return meta;
    }

    private static int CountTraces(Row[] sortedRows)
    {
        var count = 0;
        for (var i = 0; i < sortedRows.Length; i++)
        {
            if (i == 0 || !sortedRows[i].TraceId.AsSpan().SequenceEqual(sortedRows[i - 1].TraceId))
            {
                count++;
            }
        }

        return count;
    }

    private struct Row
    {
        public byte[] TraceId;
        public byte[] SpanId;
        public byte[] ParentSpanId;
        public ulong Start;
        public long Duration;
        public string Name;
        public int Kind;
        public int StatusCode;
        public string TraceState;
        public int Flags;
        public int Resource;
        public int Scope;
        public string HttpMethod;
        public int HttpStatusCode;
        public string HttpRoute;
        public string DbSystem;
        public byte[] Rest;
    }

    private sealed class RowOrder : IComparer<Row>
    {
        public static readonly RowOrder Instance = new();

        public int Compare(Row x, Row y)
        {
            var c = x.TraceId.AsSpan().SequenceCompareTo(y.TraceId);
            if (c != 0)
            {
                return c;
            }

            c = x.Start.CompareTo(y.Start);
            return c != 0 ? c : x.SpanId.AsSpan().SequenceCompareTo(y.SpanId);
        }
    }
}
