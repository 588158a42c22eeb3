using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Tenancy;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Builds a v1 block: rows come from OTLP requests (<see cref="V1WireScanner"/>) or from stored blocks
/// (<see cref="V1RowCopier"/>), are sorted (<see cref="V1RowSorter"/>), written as Parquet row groups
/// (<see cref="V1ParquetWriter"/>), and described by the index (<see cref="V1IndexBuilder"/>) and meta
/// (<see cref="V1MetaBuilder"/>). Span bytes are copied once, into a <see cref="SpanArena"/>, and written to Parquet
/// from there. The rows live in one pooled array, sorted in place, so that a block leaves no row arrays (a list's
/// growth, a sorted copy) on the large object heap (docs/performance-blocks.md).
/// </summary>
internal sealed class V1BlockBuilder : IBlockBuilder
{
    private static readonly ArrayPool<V1Row> RowPool = V1ArrayPools.Create<V1Row>();

    private readonly SpanArena _arena = new();
    private readonly BlockStrings _strings;
    private readonly V1Envelopes _envelopes = new();
    private readonly V1WireScanner _scanner;
    private readonly V1RowCopier _copier;

    private V1Row[] _rows = [];
    private int _rowCount;
    private readonly List<V1Row> _pending = [];

    private readonly BlockBuildOptions _options;
    private bool _built;

    public V1BlockBuilder(string tenant, BlockBuildOptions options)
    {
        Tenant = TenantId.Validate(tenant);
        _options = options;
        _strings = new BlockStrings(_arena);
        _scanner = new V1WireScanner(_arena, _strings, _envelopes);
        _copier = new V1RowCopier(_arena, _strings, _envelopes);
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
        _scanner.Scan(request, _pending);
        AppendPending(request.Length);
    }

    /// <summary>Copies the rows of a v1 block as they are (<see cref="V1RowCopier"/>), one row group at a time.</summary>
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
            var bytes = _copier.Copy(rows, keep, _pending);
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
        var rows = _rows.AsMemory(0, _rowCount);
        V1RowSorter.Sort(rows.Span, _arena);

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

        var index = V1IndexBuilder.Build(bytes, rows.Span, ranges, _arena, _options.BloomFalsePositiveRate);
        var indexBytes = index.Serialize();
        var meta = new V1MetaBuilder(_arena, _strings, _envelopes, _options.AttributeSummaries).Build(Tenant, blockId, createdAt, rows.Span, ByteCount, bytes.Length, indexBytes.Length, ranges.Count);
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
}
