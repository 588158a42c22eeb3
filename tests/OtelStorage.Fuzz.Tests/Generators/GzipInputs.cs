using System.Collections.Concurrent;
using System.IO.Compression;
using Google.Protobuf;
using OtelStorage.Fuzz.Tests.Engine;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>A body for a gzip case: its bytes, whether it is labelled gzip, and what it is.</summary>
public sealed record GzipInput(string Description, byte[] Body, bool Valid = false);

/// <summary>Corrupt gzip streams, decompression bombs (small on the wire, huge inflated) and nested or foreign encodings.</summary>
public static class GzipInputs
{
    private static readonly ConcurrentDictionary<(long, byte), byte[]> Bombs = new();

    public static byte[] Gzip(ReadOnlySpan<byte> data, CompressionLevel level = CompressionLevel.Fastest)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>A valid request, gzipped, then damaged in the header, the deflate data or the trailer.</summary>
    public static GzipInput Corrupt(Random r)
    {
        var request = OtlpSamples.Any(r).ToByteArray();
        var gzip = Gzip(request);
        string what;
        switch (r.Next(12))
        {
            case 0:
                gzip[r.Next(0, 2)] ^= 0xFF;
                what = "a wrong magic number";
                break;
            case 1:
                gzip[2] = (byte)r.Next(0, 256);
                what = $"compression method {gzip[2]}";
                break;
            case 2:
                gzip[3] = (byte)r.Next(1, 256);
                what = $"header flags 0x{gzip[3]:X2} (extra fields, names, comments that are not there)";
                break;
            case 3:
                var inDeflate = r.Next(10, Math.Max(11, gzip.Length - 8));
                gzip[inDeflate] ^= (byte)(1 << r.Next(8));
                what = $"a bit flipped in the deflate data at {inDeflate}";
                break;
            case 4:
                gzip[gzip.Length - 8 + r.Next(4)] ^= 0xFF;
                what = "a wrong CRC-32";
                break;
            case 5:
                gzip[gzip.Length - 4 + r.Next(4)] ^= 0xFF;
                what = "a wrong ISIZE";
                break;
            case 6:
                var cut = r.Next(0, gzip.Length);
                gzip = gzip[..cut];
                what = $"truncated at {cut} of {gzip.Length}";
                break;
            case 7:
                gzip = [.. gzip, .. r.Bytes(r.Next(1, 64))];
                what = "trailing garbage";
                break;
            case 8:
                gzip = [.. gzip, .. Gzip(OtlpSamples.Minimal(r).ToByteArray())];
                what = "two gzip members (two requests concatenated)";
                break;
            case 9:
                var deflate = new MemoryStream();
                using (var d = r.Next(2) == 0 ? (Stream)new DeflateStream(deflate, CompressionLevel.Fastest, true) : new ZLibStream(deflate, CompressionLevel.Fastest, true))
                {
                    d.Write(request);
                }

                gzip = deflate.ToArray();
                what = "raw deflate or zlib instead of gzip";
                break;
            case 10:
                gzip = Gzip(r.Bytes(r.Next(0, 4096)));
                what = "gzipped random bytes";
                break;
            default:
                gzip = [];
                what = "an empty body";
                break;
        }

        return new GzipInput($"gzip of a valid request with {what}", gzip);
    }

    /// <summary>Bombs: zeros, a huge string attribute and nested gzip, inflating far past the 64 MiB limit.</summary>
    public static GzipInput Bomb(Random r, bool full)
    {
        long[] sizes = full
            ? [ProtobufMutations.RequestLimit + 1, 2L * ProtobufMutations.RequestLimit, 1L << 30, 4L << 30]
            : [ProtobufMutations.RequestLimit + 1, 2L * ProtobufMutations.RequestLimit, 1L << 30];
        var size = r.Pick(sizes);
        switch (r.Next(4))
        {
            case 0:
                return new GzipInput($"a bomb of {size} zero bytes", Bomb(size, 0));
            case 1:
                // A request whose first field claims the whole inflated size, then one byte repeated: the parser would want all of it.
                return new GzipInput($"a bomb of one {size}-byte resourceSpans field", Bombs.GetOrAdd((size, 0xB0), static key => BombWithPrefix(key.Item1)));
            case 2:
                return new GzipInput($"a gzip of a {size}-byte zero bomb (nested gzip)", Gzip(Bomb(size, 0)));
            default:
                var near = ProtobufMutations.RequestLimit - r.Next(0, 2048);
                var request = ProtobufMutations.SizedRequest(OtlpSamples.Minimal(r), near, out var exact);
                return new GzipInput($"a valid request of {request.Length} bytes (just under the limit) gzipped", Gzip(request), Valid: exact);
        }
    }

    /// <summary><paramref name="size"/> bytes of <paramref name="fill"/>, gzipped (cached: building a 4 GiB bomb takes seconds).</summary>
    public static byte[] Bomb(long size, byte fill) => Bombs.GetOrAdd((size, fill), static key =>
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, key.Item2);
            for (var left = key.Item1; left > 0; left -= chunk.Length)
            {
                gzip.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
            }
        }

        return output.ToArray();
    });

    private static byte[] BombWithPrefix(long size)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var prefix = new MemoryStream();
            WireNode.WriteVarint(prefix, 0x0A);
            WireNode.WriteVarint(prefix, (ulong)size);
            gzip.Write(prefix.ToArray());
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)0x0A);
            for (var left = size; left > 0; left -= chunk.Length)
            {
                gzip.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
            }
        }

        return output.ToArray();
    }
}
