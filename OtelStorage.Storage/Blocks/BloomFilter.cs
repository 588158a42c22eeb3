using System.Buffers.Binary;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// A bloom filter over trace IDs, sized for a target false-positive rate. Positions come from double hashing
/// (Kirsch and Mitzenmacher) of a 128-bit mix of the ID, so IDs that are not uniformly random still spread.
/// No false negatives: <see cref="MayContain"/> is true for every added ID. IDs are OTLP trace IDs, 16 bytes; any
/// other length throws <see cref="ArgumentException"/>.
/// </summary>
public sealed class BloomFilter
{
    /// <summary>The length of an OTLP trace ID, the only length a filter takes.</summary>
    public const int TraceIdLength = 16;

    private readonly ulong[] _bits;

    private BloomFilter(ulong[] bits, int hashCount)
    {
        _bits = bits;
        HashCount = hashCount;
    }

    public int HashCount { get; }

    public long BitCount => (long)_bits.Length * 64;

    /// <summary>A filter for <paramref name="expectedItems"/> IDs at <paramref name="falsePositiveRate"/>.</summary>
    public static BloomFilter Create(long expectedItems, double falsePositiveRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(falsePositiveRate);
        var n = Math.Max(1, expectedItems);
        var bits = Math.Max(64, (long)Math.Ceiling(-n * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2))));
        var hashes = Math.Clamp((int)Math.Round(bits / (double)n * Math.Log(2)), 1, 16);
        return new BloomFilter(new ulong[(bits + 63) / 64], hashes);
    }

    /// <summary>Adds a 16-byte trace ID.</summary>
    /// <exception cref="ArgumentException"><paramref name="traceId"/> is not 16 bytes.</exception>
    public void Add(ReadOnlySpan<byte> traceId)
    {
        var (h1, h2) = Hash(traceId);
        var m = (ulong)BitCount;
        for (var i = 0; i < HashCount; i++)
        {
            var bit = (h1 + (ulong)i * h2) % m;
            _bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>False only if <paramref name="traceId"/> (16 bytes) was never added.</summary>
    /// <exception cref="ArgumentException"><paramref name="traceId"/> is not 16 bytes.</exception>
    public bool MayContain(ReadOnlySpan<byte> traceId)
    {
        var (h1, h2) = Hash(traceId);
        var m = (ulong)BitCount;
        for (var i = 0; i < HashCount; i++)
        {
            var bit = (h1 + (ulong)i * h2) % m;
            if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Serialized size in bytes.</summary>
    public int SerializedSize => 8 + _bits.Length * 8;

    /// <summary>Layout: hash count (int32 LE), word count (int32 LE), then the words (uint64 LE).</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, HashCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], _bits.Length);
        for (var i = 0; i < _bits.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(8 + i * 8)..], _bits[i]);
        }
    }

    public static BloomFilter ReadFrom(ReadOnlySpan<byte> source)
    {
        var hashes = BinaryPrimitives.ReadInt32LittleEndian(source);
        var words = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (hashes is < 1 or > 16 || words < 1 || source.Length < 8 + (long)words * 8)
        {
            throw new InvalidDataException("bloom filter header is corrupt");
        }

        var bits = new ulong[words];
        for (var i = 0; i < words; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[(8 + i * 8)..]);
        }

        return new BloomFilter(bits, hashes);
    }

    // Positions depend only on the ID's bytes, so a filter written by one process answers the same in every other.
    private static (ulong H1, ulong H2) Hash(ReadOnlySpan<byte> traceId)
    {
        if (traceId.Length != TraceIdLength)
        {
            throw new ArgumentException($"trace ID must be {TraceIdLength} bytes, got {traceId.Length}", nameof(traceId));
        }

        var a = BinaryPrimitives.ReadUInt64LittleEndian(traceId);
        var b = BinaryPrimitives.ReadUInt64LittleEndian(traceId[8..]);
        var h1 = Mix(a ^ Mix(b));
        var h2 = Mix(b + 0x9E3779B97F4A7C15UL ^ h1) | 1;
        return (h1, h2);
    }

    // SplitMix64 finalizer.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
