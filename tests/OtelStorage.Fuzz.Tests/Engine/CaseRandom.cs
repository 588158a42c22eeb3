namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>
/// Every case draws from its own generator, seeded from (run seed, category, index) with a stable hash, so a case
/// can be replayed alone from those three values whatever ran before it and in whatever order cases ran.
/// </summary>
public static class CaseRandom
{
    public static Random For(ulong seed, string category, int index)
    {
        // FNV-1a over the category name: string.GetHashCode is randomized per process.
        var hash = 14695981039346656037UL;
        foreach (var c in category)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        var mixed = SplitMix(seed ^ SplitMix(hash ^ SplitMix((ulong)index)));
        return new Random((int)(mixed & 0x7FFF_FFFF));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public static byte[] Bytes(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
