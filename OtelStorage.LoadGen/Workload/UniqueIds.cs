using System.Buffers.Binary;

namespace OtelStorage.LoadGen.Workload;

/// <summary>
/// Trace and span IDs from one seeded SplitMix64 sequence (https://prng.di.unimi.it/splitmix64.c). Each draw mixes a
/// counter through a bijection, so no 64-bit value repeats within 2^64 draws: IDs look random, a seed reproduces
/// them, and no span ID or trace ID of a run can repeat.
/// </summary>
public sealed class UniqueIds(int seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    // Starting at a mix of the seed, not at the seed, keeps the sequences of neighbouring seeds far apart.
    private ulong _counter = Mix((ulong)seed);

    /// <summary>A span ID: never zero, which W3C Trace Context reserves for "no span".</summary>
    public ulong NextSpanId() => NextNonZero();

    /// <summary>Writes a 16-byte trace ID made of two draws, so it shares no draw with any other ID.</summary>
    public void NextTraceId(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, NextNonZero());
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], NextNonZero());
    }

    private ulong NextNonZero()
    {
        ulong id;
        do
        {
            id = Mix(_counter += Gamma);
        }
        while (id == 0);

        return id;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
