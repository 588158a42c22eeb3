using System.Buffers;
using System.Buffers.Binary;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// A data object's Parquet footer, split into its row groups, so that a lookup hands Parquet.Net a footer of only
/// the row groups it reads. Parsing a footer costs in proportion to its row groups (a compacted block has hundreds),
/// so a lookup must not parse all of them. The split is done on the Thrift compact encoding of
/// <c>FileMetaData</c> (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md):
/// top-level fields are copied as they are, except <c>num_rows</c> (3), which is recounted, and <c>row_groups</c>
/// (4), of which only the chosen elements are kept. Column chunks keep their absolute file offsets, so the result
/// reads the same bytes of the data object as the whole footer does.
/// </summary>
internal sealed class ParquetFooter
{
    private const byte I64 = 6;
    private const byte List = 9;
    private const byte Struct = 12;
    private const int NumRowsField = 3;
    private const int RowGroupsField = 4;

    // RowGroup.columns, ColumnChunk.meta_data, ColumnMetaData's path, sizes, offsets and statistics, and
    // Statistics' min_value and max_value (parquet.thrift).
    private const byte Binary = 8;
    private const int ColumnsField = 1;
    private const int ColumnMetaDataField = 3;
    private const int PathInSchemaField = 3;
    private const int TotalCompressedSizeField = 7;
    private const int DataPageOffsetField = 9;
    private const int DictionaryPageOffsetField = 11;
    private const int StatisticsField = 12;
    private const int MaxValueField = 5;
    private const int MinValueField = 6;
    private const int MaxDepth = 32;

    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly ReadOnlyMemory<byte> _metadata;
    private readonly (short Id, byte Type, int Start, int End)[] _fields;
    private readonly (int Start, int End, long Rows, long DataStart, long DataEnd, ColumnChunk[] Chunks)[] _rowGroups;

    private ParquetFooter(ReadOnlyMemory<byte> metadata, (short, byte, int, int)[] fields, (int, int, long, long, long, ColumnChunk[])[] rowGroups)
    {
        _metadata = metadata;
        _fields = fields;
        _rowGroups = rowGroups;
    }

    public int RowGroupCount => _rowGroups.Length;

    /// <summary>Column <paramref name="column"/>'s chunk in row group <paramref name="rowGroup"/>, or null when the footer lacks it.</summary>
    public ColumnChunk? Chunk(int rowGroup, string column) =>
        Array.Find(_rowGroups[rowGroup].Chunks, c => c.Column == column);

    /// <summary>Where row group <paramref name="rowGroup"/>'s column chunks lie in the data object: from its first page (dictionary or data) to the end of its last chunk.</summary>
    public (long Offset, long Length) ByteRange(int rowGroup) =>
        (_rowGroups[rowGroup].DataStart, _rowGroups[rowGroup].DataEnd - _rowGroups[rowGroup].DataStart);

    /// <summary>Splits <paramref name="footer"/>: the last bytes of a Parquet file (metadata, its int32 length, "PAR1").</summary>
    public static ParquetFooter Parse(ReadOnlyMemory<byte> footer)
    {
        var bytes = footer.Span;
        if (bytes.Length < 8 || !bytes[^4..].SequenceEqual(Magic))
        {
            throw new InvalidDataException("Parquet footer does not end with PAR1");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[^8..]);
        if (length < 0 || length > bytes.Length - 8)
        {
            throw new InvalidDataException($"Parquet footer declares {length} bytes of metadata but holds {bytes.Length - 8}");
        }

        var metadata = footer.Slice(bytes.Length - 8 - length, length);
        var reader = new CompactReader(metadata.Span);
        var fields = new List<(short, byte, int, int)>();
        (int, int, long, long, long, ColumnChunk[])[] rowGroups = [];
        short id = 0;
        while (reader.ReadFieldHeader(ref id) is var type && type != 0)
        {
            var start = reader.Position;
            if (id == RowGroupsField && type == List)
            {
                rowGroups = ReadRowGroups(ref reader);
            }
            else
            {
                reader.Skip(type, MaxDepth);
            }

            fields.Add((id, type, start, reader.Position));
        }

        return new ParquetFooter(metadata, [.. fields], rowGroups);
    }

    /// <summary>A footer, in the same layout as the data object's, that holds only <paramref name="rowGroups"/>, in that order.</summary>
    public byte[] For(IReadOnlyList<int> rowGroups)
    {
        var output = new ArrayBufferWriter<byte>(256 + rowGroups.Sum(g => _rowGroups[g].End - _rowGroups[g].Start));
        var metadata = _metadata.Span;
        short last = 0;
        foreach (var (id, type, start, end) in _fields)
        {
            WriteFieldHeader(output, id, type, ref last);
            switch (id)
            {
                case NumRowsField when type == I64:
                    WriteVarint(output, ZigZag(rowGroups.Sum(g => _rowGroups[g].Rows)));
                    break;
                case RowGroupsField when type == List:
                    WriteListHeader(output, rowGroups.Count, Struct);
                    foreach (var g in rowGroups)
                    {
                        output.Write(metadata[_rowGroups[g].Start.._rowGroups[g].End]);
                    }

                    break;
                default:
                    output.Write(metadata[start..end]);
                    break;
            }
        }

        output.Write([(byte)0]);
        var length = output.WrittenCount;
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), length);
        output.Advance(4);
        output.Write(Magic);
        return output.WrittenSpan.ToArray();
    }

    private static (int, int, long, long, long, ColumnChunk[])[] ReadRowGroups(ref CompactReader reader)
    {
        var (count, elementType) = reader.ReadListHeader();
        if (elementType != Struct)
        {
            throw new InvalidDataException($"Parquet footer's row_groups hold Thrift type {elementType}, not structs");
        }

        var groups = new (int, int, long, long, long, ColumnChunk[])[count];
        for (var i = 0; i < count; i++)
        {
            var start = reader.Position;
            long rows = -1, dataStart = long.MaxValue, dataEnd = 0;
            var chunks = new List<ColumnChunk>();
            short id = 0;
            while (reader.ReadFieldHeader(ref id) is var type && type != 0)
            {
                if (id == NumRowsField && type == I64)
                {
                    rows = reader.ReadZigZag();
                }
                else if (id == ColumnsField && type == List)
                {
                    ReadColumnChunks(ref reader, ref dataStart, ref dataEnd, chunks);
                }
                else
                {
                    reader.Skip(type, MaxDepth - 1);
                }
            }

            if (rows < 0 || dataEnd == 0)
            {
                throw new InvalidDataException($"Parquet footer's row group {i} has no num_rows or no column chunk metadata");
            }

            groups[i] = (start, reader.Position, rows, dataStart, dataEnd, [.. chunks]);
        }

        return groups;
    }

    /// <summary>Widens [<paramref name="dataStart"/>, <paramref name="dataEnd"/>) over a row group's ColumnChunks, from their ColumnMetaData, and lists them.</summary>
    private static void ReadColumnChunks(ref CompactReader reader, ref long dataStart, ref long dataEnd, List<ColumnChunk> chunks)
    {
        var (count, elementType) = reader.ReadListHeader();
        if (elementType != Struct)
        {
            throw new InvalidDataException($"Parquet footer's columns hold Thrift type {elementType}, not structs");
        }

        for (var c = 0; c < count; c++)
        {
            short id = 0;
            while (reader.ReadFieldHeader(ref id) is var type && type != 0)
            {
                if (id != ColumnMetaDataField || type != Struct)
                {
                    reader.Skip(type, MaxDepth - 2);
                    continue;
                }

                long compressed = -1, dataPage = -1, dictionaryPage = -1;
                string? path = null;
                byte[]? min = null, max = null;
                short field = 0;
                while (reader.ReadFieldHeader(ref field) is var fieldType && fieldType != 0)
                {
                    switch (field)
                    {
                        case PathInSchemaField when fieldType == List:
                            path = ReadPath(ref reader);
                            break;
                        case StatisticsField when fieldType == Struct:
                            (min, max) = ReadStatistics(ref reader);
                            break;
                        case TotalCompressedSizeField when fieldType == I64:
                            compressed = reader.ReadZigZag();
                            break;
                        case DataPageOffsetField when fieldType == I64:
                            dataPage = reader.ReadZigZag();
                            break;
                        case DictionaryPageOffsetField when fieldType == I64:
                            dictionaryPage = reader.ReadZigZag();
                            break;
                        default:
                            reader.Skip(fieldType, MaxDepth - 3);
                            break;
                    }
                }

                if (compressed < 0 || dataPage < 0)
                {
                    throw new InvalidDataException("Parquet footer's column chunk has no total_compressed_size or data_page_offset");
                }

                // As Parquet readers do: the chunk starts at its dictionary page when it has one before its data pages.
                var first = dictionaryPage > 0 && dictionaryPage < dataPage ? dictionaryPage : dataPage;
                dataStart = Math.Min(dataStart, first);
                dataEnd = Math.Max(dataEnd, first + compressed);
                chunks.Add(new ColumnChunk(path ?? "", first, compressed, min, max));
            }
        }
    }

    /// <summary>A column's dotted path; v1 columns are flat, so this is the column name.</summary>
    private static string ReadPath(ref CompactReader reader)
    {
        var (count, elementType) = reader.ReadListHeader();
        var parts = new string[count];
        for (var i = 0; i < count; i++)
        {
            parts[i] = elementType == Binary
                ? System.Text.Encoding.UTF8.GetString(reader.ReadBinary())
                : throw new InvalidDataException($"Parquet footer's path_in_schema holds Thrift type {elementType}, not strings");
        }

        return string.Join('.', parts);
    }

    /// <summary>
    /// The chunk's min_value and max_value. The deprecated min and max fields are left out: their order for strings
    /// was signed, so they cannot rule a value out.
    /// </summary>
    private static (byte[]? Min, byte[]? Max) ReadStatistics(ref CompactReader reader)
    {
        byte[]? min = null, max = null;
        short id = 0;
        while (reader.ReadFieldHeader(ref id) is var type && type != 0)
        {
            switch (id)
            {
                case MinValueField when type == Binary:
                    min = reader.ReadBinary().ToArray();
                    break;
                case MaxValueField when type == Binary:
                    max = reader.ReadBinary().ToArray();
                    break;
                default:
                    reader.Skip(type, MaxDepth - 4);
                    break;
            }
        }

        return (min, max);
    }

    private static void WriteFieldHeader(ArrayBufferWriter<byte> output, short id, byte type, ref short last)
    {
        var delta = id - last;
        if (delta is > 0 and <= 15)
        {
            output.Write([(byte)((delta << 4) | type)]);
        }
        else
        {
            output.Write([type]);
            WriteVarint(output, ZigZag(id));
        }

        last = id;
    }

    private static void WriteListHeader(ArrayBufferWriter<byte> output, int count, byte elementType)
    {
        if (count < 15)
        {
            output.Write([(byte)((count << 4) | elementType)]);
        }
        else
        {
            output.Write([(byte)(0xF0 | elementType)]);
            WriteVarint(output, (ulong)count);
        }
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static void WriteVarint(ArrayBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        output.Advance(n);
    }

    /// <summary>Reads Thrift compact values; anything malformed is an <see cref="InvalidDataException"/>.</summary>
    private ref struct CompactReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        /// <summary>The next field's type (0 at the end of the struct); <paramref name="id"/> goes from the previous field's ID to this one's.</summary>
        public byte ReadFieldHeader(ref short id)
        {
            var header = ReadByte();
            if (header == 0)
            {
                return 0;
            }

            var delta = header >> 4;
            id = delta == 0 ? checked((short)ReadZigZag()) : checked((short)(id + delta));
            return (byte)(header & 0x0F);
        }

        public (int Count, byte ElementType) ReadListHeader()
        {
            var header = ReadByte();
            var count = header >> 4 == 15 ? ReadVarint() : (ulong)(header >> 4);
            return count <= (ulong)(_bytes.Length - Position)
                ? ((int)count, (byte)(header & 0x0F))
                : throw new InvalidDataException($"Parquet footer declares a list of {count} elements past its end");
        }

        public ReadOnlySpan<byte> ReadBinary()
        {
            var length = checked((int)Math.Min(ReadVarint(), int.MaxValue));
            var start = Position;
            Advance(length);
            return _bytes.Slice(start, length);
        }

        public long ReadZigZag()
        {
            var value = ReadVarint();
            return (long)(value >> 1) ^ -(long)(value & 1);
        }

        /// <summary>Skips one value of <paramref name="type"/>. Booleans take no byte in a field header but one in a list.</summary>
        public void Skip(byte type, int depth, bool inList = false)
        {
            if (depth <= 0)
            {
                throw new InvalidDataException("Parquet footer nests deeper than expected");
            }

            switch (type)
            {
                case 1 or 2:
                    Advance(inList ? 1 : 0);
                    break;
                case 3:
                    Advance(1);
                    break;
                case 4 or 5 or 6:
                    ReadVarint();
                    break;
                case 7:
                    Advance(8);
                    break;
                case 8:
                    Advance(checked((int)Math.Min(ReadVarint(), int.MaxValue)));
                    break;
                case 9 or 10:
                    var (count, elementType) = ReadListHeader();
                    for (var i = 0; i < count; i++)
                    {
                        Skip(elementType, depth - 1, inList: true);
                    }

                    break;
                case 11:
                    var entries = ReadVarint();
                    if (entries > 0)
                    {
                        var types = ReadByte();
                        for (ulong i = 0; i < entries; i++)
                        {
                            Skip((byte)(types >> 4), depth - 1, inList: true);
                            Skip((byte)(types & 0x0F), depth - 1, inList: true);
                        }
                    }

                    break;
                case Struct:
                    short id = 0;
                    while (ReadFieldHeader(ref id) is var field && field != 0)
                    {
                        Skip(field, depth - 1);
                    }

                    break;
                default:
                    throw new InvalidDataException($"Parquet footer holds unknown Thrift type {type} at byte {Position}");
            }
        }

        private byte ReadByte()
        {
            Advance(1);
            return _bytes[Position - 1];
        }

        private ulong ReadVarint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = ReadByte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("Parquet footer holds a varint longer than 10 bytes");
        }

        private void Advance(int count)
        {
            if (count > _bytes.Length - Position)
            {
                throw new InvalidDataException($"Parquet footer ends inside a value at byte {Position}");
            }

            Position += count;
        }
    }
}

/// <summary>
/// One column chunk of a row group: where its pages lie in the data object, and its min and max values as Parquet
/// encodes them (little-endian integers, UTF-8 bytes for strings), null when the writer kept no statistics.
/// </summary>
internal sealed record ColumnChunk(string Column, long Offset, long Length, byte[]? Min, byte[]? Max);
