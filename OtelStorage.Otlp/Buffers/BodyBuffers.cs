using System.Buffers;

namespace OtelStorage.Otlp.Buffers;

/// <summary>
/// Byte arrays for request and message bodies: pooled up to <see cref="MaxPooledBytes"/>, fresh arrays above it.
/// <see cref="ArrayPool{T}.Shared"/> keeps what is returned to it, per thread and up to 32 arrays of each power-of-two
/// size per core, until a gen-2 collection finds the process short of memory, so bursts of large bodies would stay
/// resident. Bodies that large are rare, and a fresh array for one costs little beside reading it (docs/ingest.md).
/// </summary>
public static class BodyBuffers
{
    /// <summary>1 MiB: OTLP exports of a few thousand spans, and span messages (256 KiB by default).</summary>
    public const int MaxPooledBytes = 1 << 20;

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int minimumLength) => minimumLength <= MaxPooledBytes
        ? ArrayPool<byte>.Shared.Rent(minimumLength)
        : GC.AllocateUninitializedArray<byte>(minimumLength);

    /// <summary>Gives back an array from <see cref="Rent"/>: to the pool when it came from there, to the GC otherwise.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= MaxPooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
