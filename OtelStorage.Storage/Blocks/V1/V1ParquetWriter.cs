using System.IO.Compression;
using ParquetSharp;
using ParquetSharp.IO;
using ParquetSharp.Schema;
using DataField = Parquet.Schema.DataField;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Writes v1 rows in the schema of <see cref="V1Schema"/> with Apache Arrow's C++ Parquet writer (ParquetSharp).
/// Every value goes in as an address into the arena, with no copy or object per value, and Zstd runs natively,
/// several times faster than Parquet.Net's writer on the same rows (docs/performance-blocks.md). Readers keep
/// using Parquet.Net; the files are plain Parquet either way.
/// </summary>
internal sealed class V1ParquetWriter : IDisposable
{
    private static readonly DataField[] DictionaryColumns =
    [
        V1Schema.ServiceName, V1Schema.Name, V1Schema.Kind, V1Schema.StatusCode, V1Schema.TraceState, V1Schema.Flags,
        V1Schema.HttpMethod, V1Schema.HttpStatusCode, V1Schema.HttpRoute, V1Schema.DbSystem, V1Schema.Resource, V1Schema.Scope,
    ];

    // Min/max of serialized messages serve no reader and would only bloat the footer, which every lookup parses.
    private static readonly DataField[] NoStatisticsColumns = [V1Schema.Resource, V1Schema.Scope, V1Schema.SpanRest];

    private delegate Slice SliceOf(in V1Row row);

    private delegate long LongOf(in V1Row row);

    private delegate int IntOf(in V1Row row);

    private readonly SpanArena _arena;
    private readonly BlockStrings _strings;
    private readonly V1Envelopes _envelopes;
    private readonly BufferOutputStream _output = new();
    private readonly ParquetFileWriter _file;
    private ByteArray[] _bytes = [];
    private long[] _longs = [];
    private int[] _ints = [];

    public V1ParquetWriter(SpanArena arena, BlockStrings strings, V1Envelopes envelopes, CompressionLevel compression, IReadOnlyDictionary<string, string> metadata)
    {
        _arena = arena;
        _strings = strings;
        _envelopes = envelopes;
        using var schema = Schema();
        using var properties = Properties(compression);
        _file = new ParquetFileWriter(_output, schema, properties, metadata);
    }

    /// <summary>The Zstd level for each <see cref="CompressionLevel"/>; level 3 is zstd's own default.</summary>
    public static int ZstdLevel(CompressionLevel compression) => compression switch
    {
        CompressionLevel.Fastest => 1,
        CompressionLevel.Optimal => 3,
        CompressionLevel.SmallestSize => 9,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "blocks are always compressed"),
    };

    /// <summary>Writes one row group, in the column order of <see cref="V1Schema.Schema"/>.</summary>
    public void WriteRowGroup(ReadOnlySpan<V1Row> rows)
    {
        if (_bytes.Length < rows.Length)
        {
            _bytes = new ByteArray[rows.Length];
            _longs = new long[rows.Length];
            _ints = new int[rows.Length];
        }

        using var group = _file.AppendRowGroup();
        Bytes(group, V1Schema.TraceId, rows, static (in r) => r.TraceId);
        Bytes(group, V1Schema.SpanId, rows, static (in r) => r.SpanId);
        Bytes(group, V1Schema.ParentSpanId, rows, static (in r) => r.ParentSpanId);
        Longs(group, V1Schema.StartTime, rows, static (in r) => unchecked((long)r.Start));
        Longs(group, V1Schema.Duration, rows, static (in r) => r.Duration);
        Bytes(group, V1Schema.ServiceName, rows, (in r) => _strings.Utf8(_envelopes.ResourceServices[r.Resource]));
        Bytes(group, V1Schema.Name, rows, (in r) => _strings.Utf8(r.Name));
        Ints(group, V1Schema.Kind, rows, static (in r) => r.Kind);
        Ints(group, V1Schema.StatusCode, rows, static (in r) => r.StatusCode);
        Bytes(group, V1Schema.TraceState, rows, (in r) => _strings.Utf8(r.TraceState));
        Ints(group, V1Schema.Flags, rows, static (in r) => r.Flags);
        Bytes(group, V1Schema.HttpMethod, rows, (in r) => _strings.Utf8(r.HttpMethod));
        Ints(group, V1Schema.HttpStatusCode, rows, static (in r) => r.HttpStatusCode);
        Bytes(group, V1Schema.HttpRoute, rows, (in r) => _strings.Utf8(r.HttpRoute));
        Bytes(group, V1Schema.DbSystem, rows, (in r) => _strings.Utf8(r.DbSystem));
        Bytes(group, V1Schema.Resource, rows, (in r) => _envelopes.Resources[r.Resource]);
        Bytes(group, V1Schema.Scope, rows, (in r) => _envelopes.Scopes[r.Scope]);
        Bytes(group, V1Schema.SpanRest, rows, static (in r) => r.Rest);
    }

    /// <summary>Writes the footer and returns the whole file.</summary>
    public byte[] Finish()
    {
        _file.Close();
        using var buffer = _output.Finish();
        return buffer.ToArray();
    }

    public void Dispose()
    {
        _file.Dispose();
        _output.Dispose();
    }

    private void Bytes(RowGroupWriter group, DataField field, ReadOnlySpan<V1Row> rows, SliceOf sliceOf)
    {
        var values = _bytes.AsSpan(0, rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            var slice = sliceOf(in rows[i]);
            values[i] = new ByteArray(_arena.Address(slice), slice.Length);
        }

        using var column = Next<ByteArray>(group, field);
        column.WriteBatch(values);
    }

    private void Longs(RowGroupWriter group, DataField field, ReadOnlySpan<V1Row> rows, LongOf valueOf)
    {
        var values = _longs.AsSpan(0, rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            values[i] = valueOf(in rows[i]);
        }

        using var column = Next<long>(group, field);
        column.WriteBatch(values);
    }

    private void Ints(RowGroupWriter group, DataField field, ReadOnlySpan<V1Row> rows, IntOf valueOf)
    {
        var values = _ints.AsSpan(0, rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            values[i] = valueOf(in rows[i]);
        }

        using var column = Next<int>(group, field);
        column.WriteBatch(values);
    }

    private static ColumnWriter<T> Next<T>(RowGroupWriter group, DataField field)
        where T : unmanaged
    {
        var column = group.NextColumn();
        var descriptor = column.ColumnDescriptor;
        if (descriptor.Name != field.Name || column is not ColumnWriter<T> typed)
        {
            column.Dispose();
            throw new InvalidOperationException($"column '{field.Name}' is written out of the order of V1Schema (the writer is at '{descriptor.Name}')");
        }

        return typed;
    }

    /// <summary>V1Schema's fields as Parquet nodes: every column required, strings as UTF-8 byte arrays.</summary>
    private static GroupNode Schema()
    {
        var nodes = new Node[V1Schema.Schema.DataFields.Length];
        try
        {
            for (var i = 0; i < nodes.Length; i++)
            {
                var field = V1Schema.Schema.DataFields[i];
                // By the declared type: Parquet.Net's ClrType for a string column is ReadOnlyMemory<char>.
                var (logicalType, physical) = field switch
                {
                    Parquet.Schema.DataField<string> => (LogicalType.String(), PhysicalType.ByteArray),
                    Parquet.Schema.DataField<byte[]> => (LogicalType.None(), PhysicalType.ByteArray),
                    Parquet.Schema.DataField<long> => (LogicalType.None(), PhysicalType.Int64),
                    Parquet.Schema.DataField<int> => (LogicalType.None(), PhysicalType.Int32),
                    _ => throw new NotSupportedException($"V1Schema column '{field.Name}' is a {field.GetType()}, which the writer does not map"),
                };
                using var logical = logicalType;
                nodes[i] = new PrimitiveNode(field.Name, Repetition.Required, logical, physical);
            }

            return new GroupNode("schema", Repetition.Required, nodes);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node?.Dispose();
            }
        }
    }

    private static WriterProperties Properties(CompressionLevel compression)
    {
        using var builder = new WriterPropertiesBuilder();
        // Size statistics (a tenth of the footer) serve no reader of ours; min/max statistics stay for external engines.
        builder.Compression(Compression.Zstd).CompressionLevel(ZstdLevel(compression)).DisableDictionary().SetSizeStatisticsLevel(SizeStatisticsLevel.None);
        foreach (var field in DictionaryColumns)
        {
            builder.EnableDictionary(field.Name);
        }

        foreach (var field in NoStatisticsColumns)
        {
            builder.DisableStatistics(field.Name);
        }

        return builder.Build();
    }
}
