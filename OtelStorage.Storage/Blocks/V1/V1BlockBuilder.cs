using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Otlp.Wire;
using OtelStorage.Storage.Blocks.Metadata;
using OtelStorage.Storage.Retention;
using OtelStorage.Tenancy;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Flattens OTLP requests into v1 rows and encodes them. A span's scalar fields go to columns; the rest of the
/// span (attributes, events, links, status, dropped counts and unknown fields) is kept verbatim as
/// <c>span_rest</c>. Resources and scopes are kept once per distinct value and dictionary-encoded. Span bytes are
/// copied once, into a <see cref="SpanArena"/>, and written to Parquet from there. The rows (108 bytes each) live in
/// one pooled array, sorted in place: a block of 175,000 spans otherwise left about 60 MiB of row arrays on the large
/// object heap (the list's growth and a sorted copy), every block.
/// </summary>
internal sealed class V1BlockBuilder : IBlockBuilder
{
    private readonly SpanArena _arena = new();
    private readonly BlockStrings _strings;
    private readonly V1Envelopes _envelopes = new([], [], []);
    // Process-wide pools of a few arrays per size, shared by every thread. ArrayPool<T>.Shared would keep one per
    // thread and up to 32 per core of each size: rows of 175,000-span blocks are 28 MiB arrays, and flushes run on
    // any thread-pool thread, so it held hundreds of MiB (the end-to-end run's large object heap reached 900 MB).
    private const int PooledArraysPerSize = 3;
    private const int PooledMaxLength = 1 << 23;
    private static readonly ArrayPool<V1Row> RowPool = ArrayPool<V1Row>.Create(PooledMaxLength, PooledArraysPerSize);
    private static readonly ArrayPool<SpanFacts> FactPool = ArrayPool<SpanFacts>.Create(PooledMaxLength, PooledArraysPerSize);
    private static readonly ArrayPool<SortKey> KeyPool = ArrayPool<SortKey>.Create(PooledMaxLength, PooledArraysPerSize);
    private static readonly ArrayPool<int> IndexPool = ArrayPool<int>.Create(PooledMaxLength, PooledArraysPerSize);

    private V1Row[] _rows = [];
    private int _rowCount;
    private readonly List<V1Row> _pending = [];
    private readonly ArrayBufferWriter<byte> _rest = new(512);
    private readonly Dictionary<byte[], int> _resourceIds = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], int> _scopeIds = new(ByteArrayComparer.Instance);
    private (byte[]? Key, int Id) _lastResource;
    private (byte[]? Key, int Id) _lastScope;

    private readonly BlockBuildOptions _options;
    private bool _built;

    public V1BlockBuilder(string tenant, BlockBuildOptions options)
    {
        Tenant = TenantId.Validate(tenant);
        _options = options;
        _strings = new BlockStrings(_arena);
        if (options.ExpectedSpans > 0)
        {
            _rows = RowPool.Rent(options.ExpectedSpans);
        }
    }

    public string Tenant { get; }

    public int SpanCount => _rowCount;

    public long ByteCount { get; private set; }

    public void Add(ExportTraceServiceRequest request) => AddProtobuf(request.ToByteArray());

    public void AddProtobuf(ReadOnlySpan<byte> request)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        // Scan into a scratch list first, so a malformed request adds nothing.
        _pending.Clear();
        var wire = new ProtoWire(request);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                ScanResourceSpans(wire.ReadLengthDelimited());
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        AppendPending(request.Length);
    }

    /// <summary>
    /// Copies v1 rows as they are: IDs, span_rest, resource and scope bytes go to the arena and strings to the block's
    /// strings, with nothing parsed. Decoding each span to OTLP and encoding it again, as compaction did before, cost
    /// twice the CPU and held every span twice (docs/performance-compaction.md).
    /// </summary>
    public async Task AddBlockAsync(IBlockReader reader, BlockMeta meta, Func<UInt128, ulong, bool> keep, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        if (reader is not V1BlockReader v1 || meta.FormatVersion != V1Encoding.VersionName)
        {
            throw new NotSupportedException($"block {meta.Tenant}/{meta.BlockId} is in format '{meta.FormatVersion}', which a {V1Encoding.VersionName} builder does not read");
        }

        await foreach (var rows in v1.ReadRowGroupsAsync(meta, cancellationToken))
        {
            _pending.Clear();
            long bytes = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                if (keep(MetadataExtractor.TraceKey(rows.TraceId[i]), MetadataExtractor.SpanKey(rows.SpanId[i])))
                {
                    _pending.Add(CopyRow(rows, i));
                    bytes += SpanBytes(rows, i);
                }
            }

            AppendPending(bytes);
        }
    }

    private void AppendPending(long requestBytes)
    {
        if (_rowCount + _pending.Count > _rows.Length)
        {
            var larger = RowPool.Rent(Math.Max(_rowCount + _pending.Count, _rows.Length * 2));
            _rows.AsSpan(0, _rowCount).CopyTo(larger);
            ReturnRows();
            _rows = larger;
        }

        CollectionsMarshal.AsSpan(_pending).CopyTo(_rows.AsSpan(_rowCount));
        _rowCount += _pending.Count;
        ByteCount += requestBytes;
    }

    private V1Row CopyRow(V1Rows rows, int i) => new()
    {
        TraceId = _arena.Append(rows.TraceId[i]),
        SpanId = _arena.Append(rows.SpanId[i]),
        ParentSpanId = _arena.Append(rows.ParentSpanId[i]),
        Rest = _arena.Append(rows.SpanRest[i]),
        Start = unchecked((ulong)rows.Start[i]),
        Duration = rows.Duration[i],
        Name = _strings.Id(rows.Name[i]),
        TraceState = _strings.Id(rows.TraceState[i]),
        HttpMethod = _strings.Id(rows.HttpMethod[i]),
        HttpRoute = _strings.Id(rows.HttpRoute[i]),
        DbSystem = _strings.Id(rows.DbSystem[i]),
        Kind = rows.Kind[i],
        StatusCode = rows.StatusCode[i],
        Flags = rows.Flags[i],
        HttpStatusCode = rows.HttpStatusCode[i],
        Resource = ResourceId(rows.Resource[i], rows.ServiceName[i]),
        Scope = ScopeId(rows.Scope[i]),
    };

    // Rows of a row group share the byte arrays of its dictionary-encoded columns, so the last key is checked by reference first.
    private int ResourceId(byte[] envelope, string? service)
    {
        if (ReferenceEquals(envelope, _lastResource.Key))
        {
            return _lastResource.Id;
        }

        if (!_resourceIds.TryGetValue(envelope, out var id))
        {
            id = _envelopes.Resources.Count;
            _envelopes.Resources.Add(_arena.Append(envelope));
            _envelopes.ResourceServices.Add(_strings.Id(service));
            _resourceIds[envelope] = id;
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

        if (!_scopeIds.TryGetValue(envelope, out var id))
        {
            id = _envelopes.Scopes.Count;
            _envelopes.Scopes.Add(_arena.Append(envelope));
            _scopeIds[envelope] = id;
        }

        _lastScope = (envelope, id);
        return id;
    }

    /// <summary>The protobuf size of a copied span, as <see cref="ByteCount"/> counts spans that arrive as requests.</summary>
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

    /// <summary>Encodes the block. A builder builds one block: its buffers go back to the pool, and it cannot be used again.</summary>
    public Task<EncodedBlock> BuildAsync(string blockId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        BlockId.Validate(blockId);
        ObjectDisposedException.ThrowIf(_built, this);
        _built = true;
        try
        {
            // Encoding is CPU work only: nothing in it waits.
            return Task.FromResult(Encode(blockId, createdAt, cancellationToken));
        }
        finally
        {
            _arena.Release();
            ReturnRows();
        }
    }

    private void ReturnRows()
    {
        if (_rows.Length > 0)
        {
            RowPool.Return(_rows);
        }

        _rows = [];
    }

    private EncodedBlock Encode(string blockId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var rows = SortRows();

        byte[] bytes;
        var ranges = new List<(int Start, int Count)>();
        var metadata = new Dictionary<string, string> { ["otelstorage.format"] = V1Encoding.VersionName, ["otelstorage.tenant"] = Tenant, ["otelstorage.block"] = blockId };
        using (var writer = new V1ParquetWriter(_arena, _strings, _envelopes, _options.Compression, metadata))
        {
            for (var start = 0; start < rows.Length;)
            {
                var count = RowGroupLength(rows.Span[start..]);
                cancellationToken.ThrowIfCancellationRequested();
                writer.WriteRowGroup(rows.Span.Slice(start, count));
                ranges.Add((start, count));
                start += count;
            }

            bytes = writer.Finish();
        }

        var index = BuildIndex(bytes, rows.Span, ranges);
        var indexBytes = index.Serialize();
        var meta = BuildMeta(blockId, createdAt, rows.Span, bytes.Length, indexBytes.Length, ranges.Count);
        return new EncodedBlock(meta, bytes, indexBytes);
    }

    /// <summary>How many of <paramref name="rows"/> the next row group takes: up to RowGroupSpans, and fewer once they hold RowGroupBytes.</summary>
    private int RowGroupLength(ReadOnlySpan<V1Row> rows)
    {
        var most = Math.Min(_options.RowGroupSpans, rows.Length);
        long bytes = 0;
        for (var i = 0; i < most; i++)
        {
            ref readonly var r = ref rows[i];
            bytes += r.TraceId.Length + r.SpanId.Length + r.ParentSpanId.Length + r.Rest.Length + _strings.Utf8(r.Name).Length + _strings.Utf8(r.TraceState).Length;
            if (bytes >= _options.RowGroupBytes)
            {
                return i + 1;
            }
        }

        return most;
    }

    private void ScanResourceSpans(ReadOnlySpan<byte> resourceSpans)
    {
        // Pass 1: the resource and schema URL, which may follow the scope spans on the wire.
        ReadOnlySpan<byte> resource = default, schemaUrl = default;
        var hasResource = false;
        var wire = new ProtoWire(resourceSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                resource = wire.ReadLengthDelimited();
                hasResource = true;
            }
            else if (field == 3 && wireType == ProtoWire.Len)
            {
                schemaUrl = wire.ReadLengthDelimited();
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        var key = Envelope(hasResource, resource, schemaUrl);
        if (!_resourceIds.TryGetValue(key, out var resourceId))
        {
            var parsed = OpenTelemetry.Proto.Trace.V1.ResourceSpans.Parser.ParseFrom(key);
            resourceId = _envelopes.Resources.Count;
            _envelopes.Resources.Add(_arena.Append(key));
            _envelopes.ResourceServices.Add(_strings.Id(ServiceNameOf(parsed.Resource?.Attributes)));
            _resourceIds[key] = resourceId;
        }

        wire = new ProtoWire(resourceSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 2 && wireType == ProtoWire.Len)
            {
                ScanScopeSpans(wire.ReadLengthDelimited(), resourceId);
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }
    }

    private void ScanScopeSpans(ReadOnlySpan<byte> scopeSpans, int resourceId)
    {
        ReadOnlySpan<byte> scope = default, schemaUrl = default;
        var hasScope = false;
        var wire = new ProtoWire(scopeSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                scope = wire.ReadLengthDelimited();
                hasScope = true;
            }
            else if (field == 3 && wireType == ProtoWire.Len)
            {
                schemaUrl = wire.ReadLengthDelimited();
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        var key = Envelope(hasScope, scope, schemaUrl);
        if (!_scopeIds.TryGetValue(key, out var scopeId))
        {
            ScopeSpans.Parser.ParseFrom(key);
            scopeId = _envelopes.Scopes.Count;
            _envelopes.Scopes.Add(_arena.Append(key));
            _scopeIds[key] = scopeId;
        }

        wire = new ProtoWire(scopeSpans);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 2 && wireType == ProtoWire.Len)
            {
                _pending.Add(ScanSpan(wire.ReadLengthDelimited(), resourceId, scopeId));
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
        var ranks = new PromotionRanks();
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
                case (1, ProtoWire.Len):
                    row.TraceId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (2, ProtoWire.Len):
                    row.SpanId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (3, ProtoWire.Len):
                    row.TraceState = _strings.Id(wire.ReadLengthDelimited());
                    break;
                case (4, ProtoWire.Len):
                    row.ParentSpanId = _arena.Append(wire.ReadLengthDelimited());
                    break;
                case (5, ProtoWire.Len):
                    row.Name = _strings.Id(wire.ReadLengthDelimited());
                    break;
                case (6, ProtoWire.Varint):
                    row.Kind = unchecked((int)wire.ReadVarint());
                    break;
                case (7, ProtoWire.Fixed64):
                    row.Start = wire.ReadFixed64();
                    break;
                case (8, ProtoWire.Fixed64):
                    end = wire.ReadFixed64();
                    break;
                case (16, ProtoWire.Fixed32):
                    row.Flags = unchecked((int)wire.ReadFixed32());
                    break;
                case (9, ProtoWire.Len):
                    PromoteAttribute(wire.ReadLengthDelimited(), ref row, ref ranks);
                    _rest.Write(wire.Since(start));
                    break;
                case (15, ProtoWire.Len):
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
        return row;
    }

    private static int StatusCodeOf(ReadOnlySpan<byte> status)
    {
        var code = 0;
        var wire = new ProtoWire(status);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 3 && wireType == ProtoWire.Varint)
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

    /// <summary>Copies a span attribute into its promoted column; the stable semantic-convention key wins over the legacy one.</summary>
    private void PromoteAttribute(ReadOnlySpan<byte> keyValue, ref V1Row row, ref PromotionRanks ranks)
    {
        ReadOnlySpan<byte> key = default, value = default;
        var wire = new ProtoWire(keyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                key = wire.ReadLengthDelimited();
            }
            else if (field == 2 && wireType == ProtoWire.Len)
            {
                value = wire.ReadLengthDelimited();
            }
            else
            {
                wire.SkipField(field, wireType);
            }
        }

        if (key.Length < 7 || (key[0] != (byte)'h' && key[0] != (byte)'d'))
        {
            return;
        }

        if (key.SequenceEqual("http.request.method"u8) || key.SequenceEqual("http.method"u8))
        {
            TakeString(value, key.Length == 19 ? 0 : 1, ref ranks.Method, ref row.HttpMethod);
        }
        else if (key.SequenceEqual("http.response.status_code"u8) || key.SequenceEqual("http.status_code"u8))
        {
            var rank = key.Length == 25 ? 0 : 1;
            if (rank < ranks.Status && TryGetInt(value, out var code))
            {
                ranks.Status = rank;
                row.HttpStatusCode = code;
            }
        }
        else if (key.SequenceEqual("http.route"u8))
        {
            TakeString(value, 0, ref ranks.Route, ref row.HttpRoute);
        }
        else if (key.SequenceEqual("db.system.name"u8) || key.SequenceEqual("db.system"u8))
        {
            TakeString(value, key.Length == 14 ? 0 : 1, ref ranks.Db, ref row.DbSystem);
        }
    }

    private void TakeString(ReadOnlySpan<byte> anyValue, int rank, ref int bestRank, ref int target)
    {
        if (rank <= bestRank && TryGetString(anyValue, out var utf8))
        {
            bestRank = rank;
            target = _strings.Id(utf8);
        }
    }

    private static bool TryGetString(ReadOnlySpan<byte> anyValue, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        var found = false;
        var wire = new ProtoWire(anyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWire.Len)
            {
                utf8 = wire.ReadLengthDelimited();
                found = true;
            }
            else
            {
                wire.SkipField(field, wireType);
                found = false;
            }
        }

        return found;
    }

    private static bool TryGetInt(ReadOnlySpan<byte> anyValue, out int result)
    {
        result = 0;
        var found = false;
        var wire = new ProtoWire(anyValue);
        while (wire.TryReadTag(out var field, out var wireType))
        {
            if (field == 3 && wireType == ProtoWire.Varint)
            {
                var v = unchecked((long)wire.ReadVarint());
                found = v is >= int.MinValue and <= int.MaxValue;
                result = found ? (int)v : 0;
            }
            else if (field == 1 && wireType == ProtoWire.Len)
            {
                found = int.TryParse(wire.ReadLengthDelimited(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out result);
            }
            else
            {
                wire.SkipField(field, wireType);
                found = false;
            }
        }

        return found;
    }

    /// <summary>A ResourceSpans (or ScopeSpans) holding only field 1 and the schema URL (field 3), as stored in the resource and scope columns.</summary>
    private static byte[] Envelope(bool hasMessage, ReadOnlySpan<byte> message, ReadOnlySpan<byte> schemaUrl)
    {
        var buffer = new List<byte>(message.Length + schemaUrl.Length + 12);
        if (hasMessage)
        {
            buffer.Add(0x0A);
            AddVarint(buffer, (ulong)message.Length);
            buffer.AddRange(message);
        }

        if (!schemaUrl.IsEmpty)
        {
            buffer.Add(0x1A);
            AddVarint(buffer, (ulong)schemaUrl.Length);
            buffer.AddRange(schemaUrl);
        }

        return [.. buffer];

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

    private struct PromotionRanks()
    {
        public int Method = int.MaxValue;
        public int Status = int.MaxValue;
        public int Route = int.MaxValue;
        public int Db = int.MaxValue;
    }

    // The row groups' byte ranges come from the written footer, parsed by ParquetFooter: opening the file with
    // Parquet.Net's reader for them was a tenth of the Batcher's CPU (dotnet-trace, docs/PERFORMANCE.md).
    private V1BlockIndex BuildIndex(byte[] data, ReadOnlySpan<V1Row> sortedRows, List<(int Start, int Count)> ranges)
    {
        var bloom = BloomFilter.Create(CountTraces(sortedRows), _options.BloomFalsePositiveRate);
        foreach (ref readonly var r in sortedRows)
        {
            bloom.Add(_arena.Span(r.TraceId));
        }

        var footerLength = BitConverter.ToInt32(data, data.Length - 8) + 8;
        var footerBytes = data.AsMemory(data.Length - footerLength);
        var footer = ParquetFooter.Parse(footerBytes);
        if (footer.RowGroupCount != ranges.Count)
        {
            throw new InvalidDataException($"Parquet writer produced {footer.RowGroupCount} row groups, not {ranges.Count}");
        }

        var groups = new List<RowGroupRange>(ranges.Count);
        for (var g = 0; g < ranges.Count; g++)
        {
            var (first, length) = footer.ByteRange(g);
            var (rowStart, count) = ranges[g];
            ulong minStart = ulong.MaxValue, maxStart = 0;
            for (var i = rowStart; i < rowStart + count; i++)
            {
                minStart = Math.Min(minStart, sortedRows[i].Start);
                maxStart = Math.Max(maxStart, sortedRows[i].Start);
            }

            groups.Add(new RowGroupRange(
                first,
                checked((int)length),
                count,
                V1Rows.TraceKey(_arena.Span(sortedRows[rowStart].TraceId)),
                V1Rows.TraceKey(_arena.Span(sortedRows[rowStart + count - 1].TraceId)),
                minStart,
                maxStart));
        }

        return new V1BlockIndex
        {
            Bloom = bloom,
            RowGroups = groups,
            DataLength = data.Length,
            FooterBytes = footerBytes,
        };
    }

    private BlockMeta BuildMeta(string blockId, DateTimeOffset createdAt, ReadOnlySpan<V1Row> rows, long dataBytes, long indexBytes, int rowGroups)
    {
        // Pooled like the rows; cleared on return, since the facts hold the service and span name strings.
        var facts = FactPool.Rent(rows.Length);
        ulong minStart = ulong.MaxValue, maxStart = 0, maxEnd = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var r = ref rows[i];
            var service = _strings.Text(_envelopes.ResourceServices[r.Resource]);
            var parent = _arena.Span(r.ParentSpanId);
            facts[i] = new SpanFacts(
                MetadataExtractor.TraceKey(_arena.Span(r.TraceId)),
                MetadataExtractor.SpanKey(_arena.Span(r.SpanId)),
                parent.IsEmpty ? null : MetadataExtractor.SpanKey(parent),
                service,
                _strings.Text(r.Name),
                r.Kind,
                r.StatusCode == (int)Status.Types.StatusCode.Error,
                r.Duration);
            minStart = Math.Min(minStart, r.Start);
            maxStart = Math.Max(maxStart, r.Start);
            maxEnd = Math.Max(maxEnd, unchecked(r.Start + (ulong)r.Duration));
        }

        ExtractedMetadata extracted;
        try
        {
            extracted = MetadataExtractor.Extract(facts.AsSpan(0, rows.Length));
        }
        finally
        {
            FactPool.Return(facts, clearArray: true);
        }

        var meta = new BlockMeta
        {
            FormatVersion = V1Encoding.VersionName,
            Tenant = Tenant,
            BlockId = blockId,
            CreatedAt = createdAt,
            MinStartTimeUnixNano = rows.Length == 0 ? 0 : minStart,
            MaxStartTimeUnixNano = maxStart,
            MaxEndTimeUnixNano = maxEnd,
            RetainFrom = RetentionPolicy.StartFor(maxStart, createdAt),
            SpanCount = rows.Length,
            TraceCount = extracted.TraceCount,
            DataSizeBytes = dataBytes,
            IndexSizeBytes = indexBytes,
            SizeBytes = dataBytes + indexBytes,
            SpanBytes = ByteCount,
            RowGroupCount = rowGroups,
            Dependencies = [.. extracted.Dependencies],
            ServiceStatistics = [.. extracted.Services],
            OperationStatistics = [.. extracted.Operations],
        };

        // Operation statistics are sorted by service then name, so services and operations fall out in order.
        foreach (var op in extracted.Operations)
        {
            if (!meta.Operations.TryGetValue(op.Service, out var names))
            {
                meta.Operations[op.Service] = names = [];
                meta.Services.Add(op.Service);
            }

            if (names.Count == 0 || names[^1] != op.Operation)
            {
                names.Add(op.Operation);
            }
        }

        return meta;
    }

    /// <summary>
    /// Puts the rows in (trace ID, start time, span ID) order, in place: compact keys are sorted, then each cycle of
    /// the permutation is followed once, so every row moves once and no second row array is made.
    /// </summary>
    private ReadOnlyMemory<V1Row> SortRows()
    {
        var rows = _rows.AsSpan(0, _rowCount);
        if (rows.IsEmpty)
        {
            return default;
        }

        var keys = KeyPool.Rent(rows.Length);
        var source = IndexPool.Rent(rows.Length);
        try
        {
            for (var i = 0; i < rows.Length; i++)
            {
                keys[i] = new SortKey(V1Rows.TraceKey(_arena.Span(rows[i].TraceId)), rows[i].Start, MetadataExtractor.SpanKey(_arena.Span(rows[i].SpanId)), i);
            }

            Array.Sort(keys, 0, rows.Length);
            for (var i = 0; i < rows.Length; i++)
            {
                source[i] = keys[i].Index;
            }

            // Row j takes the row at source[j]; a position is read before it is written, except the cycle's first,
            // which is held. Done positions are marked -1.
            for (var first = 0; first < rows.Length; first++)
            {
                if (source[first] < 0 || source[first] == first)
                {
                    continue;
                }

                var held = rows[first];
                for (var j = first; ;)
                {
                    var from = source[j];
                    source[j] = -1;
                    if (from == first)
                    {
                        rows[j] = held;
                        break;
                    }

                    rows[j] = rows[from];
                    j = from;
                }
            }
        }
        finally
        {
            KeyPool.Return(keys);
            IndexPool.Return(source);
        }

        return _rows.AsMemory(0, _rowCount);
    }

    private int CountTraces(ReadOnlySpan<V1Row> sortedRows)
    {
        var count = 0;
        for (var i = 0; i < sortedRows.Length; i++)
        {
            if (i == 0 || !_arena.Span(sortedRows[i].TraceId).SequenceEqual(_arena.Span(sortedRows[i - 1].TraceId)))
            {
                count++;
            }
        }

        return count;
    }

    private readonly record struct SortKey(UInt128 Trace, ulong Start, ulong Span, int Index) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            var c = Trace.CompareTo(other.Trace);
            if (c != 0)
            {
                return c;
            }

            c = Start.CompareTo(other.Start);
            return c != 0 ? c : Span.CompareTo(other.Span);
        }
    }
}
