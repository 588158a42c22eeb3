using System.Buffers.Binary;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// The content of a v1 block's index object: the trace-ID bloom filter, the row-group table (byte range, trace-ID
/// and start-time bounds, inexact promoted columns) and a copy of the data object's Parquet footer. Written as
/// <c>OSI2</c>; an <c>OSI1</c> index, which lacks the inexact columns, still reads, with every column inexact. With it, a trace lookup costs one
/// ranged GET of the data object: no footer read. Immutable and safe to cache for the block's lifetime.
/// </summary>
internal sealed class V1BlockIndex : BlockIndex
{
    private const int GroupBytesV1 = 72;
    private const int GroupBytes = 73;

    private static ReadOnlySpan<byte> Magic => "OSI2"u8;

    private static ReadOnlySpan<byte> MagicV1 => "OSI1"u8;

    public required BloomFilter Bloom { get; init; }

    public required IReadOnlyList<RowGroupRange> RowGroups { get; init; }

    /// <summary>Length of the data object in bytes.</summary>
    public required long DataLength { get; init; }

    /// <summary>The last <c>FooterBytes.Length</c> bytes of the data object (Parquet footer, its length and the magic).</summary>
    public required ReadOnlyMemory<byte> FooterBytes { get; init; }

    public override long ApproximateBytes => Bloom.SerializedSize + FooterBytes.Length + RowGroups.Count * 96L;

    /// <summary>The footer split by row group, parsed on first use: once per cached index, not once per lookup.</summary>
    internal ParquetFooter Footer => _footer ??= ParquetFooter.Parse(FooterBytes);

    private ParquetFooter? _footer;

    /// <summary>False when the block certainly lacks the trace; true means "probably" (bloom false positives are ≤ 1%).</summary>
    public override bool MayContain(ReadOnlySpan<byte> traceId) => Bloom.MayContain(traceId);

    public byte[] Serialize()
    {
        var size = 4 + 4 + Bloom.SerializedSize + 4 + RowGroups.Count * GroupBytes + 8 + 4 + FooterBytes.Length;
        var buffer = new byte[size];
        var s = buffer.AsSpan();
        Magic.CopyTo(s);
        var pos = 4;
        BinaryPrimitives.WriteInt32LittleEndian(s[pos..], Bloom.SerializedSize);
        pos += 4;
        Bloom.WriteTo(s[pos..]);
        pos += Bloom.SerializedSize;
        BinaryPrimitives.WriteInt32LittleEndian(s[pos..], RowGroups.Count);
        pos += 4;
        foreach (var rg in RowGroups)
        {
            BinaryPrimitives.WriteInt64LittleEndian(s[pos..], rg.Offset);
            BinaryPrimitives.WriteInt32LittleEndian(s[(pos + 8)..], rg.Length);
            BinaryPrimitives.WriteInt32LittleEndian(s[(pos + 12)..], rg.Rows);
            BinaryPrimitives.WriteUInt128BigEndian(s[(pos + 16)..], rg.MinTraceId);
            BinaryPrimitives.WriteUInt128BigEndian(s[(pos + 32)..], rg.MaxTraceId);
            BinaryPrimitives.WriteUInt64LittleEndian(s[(pos + 48)..], rg.MinStartTimeUnixNano);
            BinaryPrimitives.WriteUInt64LittleEndian(s[(pos + 56)..], rg.MaxStartTimeUnixNano);
            s[pos + 72] = (byte)rg.Inexact;
            pos += GroupBytes;
        }

        BinaryPrimitives.WriteInt64LittleEndian(s[pos..], DataLength);
        BinaryPrimitives.WriteInt32LittleEndian(s[(pos + 8)..], FooterBytes.Length);
        pos += 12;
        FooterBytes.Span.CopyTo(s[pos..]);
        return buffer;
    }

    public static V1BlockIndex Deserialize(ReadOnlySpan<byte> s)
    {
        var v1 = s.Length >= 16 && s[..4].SequenceEqual(MagicV1);
        if (s.Length < 16 || !(v1 || s[..4].SequenceEqual(Magic)))
        {
            throw new InvalidDataException("index object does not start with OSI2 or OSI1");
        }

        var groupBytes = v1 ? GroupBytesV1 : GroupBytes;
        var pos = 4;
        var bloomLength = BinaryPrimitives.ReadInt32LittleEndian(s[pos..]);
        pos += 4;
        var bloom = BloomFilter.ReadFrom(s.Slice(pos, bloomLength));
        pos += bloomLength;
        var count = BinaryPrimitives.ReadInt32LittleEndian(s[pos..]);
        pos += 4;
        var groups = new RowGroupRange[count];
        for (var i = 0; i < count; i++)
        {
            groups[i] = new RowGroupRange(
                BinaryPrimitives.ReadInt64LittleEndian(s[pos..]),
                BinaryPrimitives.ReadInt32LittleEndian(s[(pos + 8)..]),
                BinaryPrimitives.ReadInt32LittleEndian(s[(pos + 12)..]),
                BinaryPrimitives.ReadUInt128BigEndian(s[(pos + 16)..]),
                BinaryPrimitives.ReadUInt128BigEndian(s[(pos + 32)..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[(pos + 48)..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[(pos + 56)..]),
                v1 ? InexactColumns.All : (InexactColumns)s[pos + 72]);
            pos += groupBytes;
        }

        var dataLength = BinaryPrimitives.ReadInt64LittleEndian(s[pos..]);
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(s[(pos + 8)..]);
        pos += 12;
        return new V1BlockIndex
        {
            Bloom = bloom,
            RowGroups = groups,
            DataLength = dataLength,
            FooterBytes = s.Slice(pos, footerLength).ToArray(),
        };
    }
}
