using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Block IDs are ULIDs: 48 bits of Unix milliseconds then 80 bits of entropy, in Crockford base32 (26 characters).
/// They sort by creation time as strings, so listing a tenant's blocks in key order lists them oldest first, and
/// a listing can start after the ID of any instant. The entropy makes IDs from concurrent replicas disjoint.
/// </summary>
public static partial class BlockId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A new ID for a block cut at <paramref name="time"/>.</summary>
    public static string New(DateTimeOffset time)
    {
        Span<byte> entropy = stackalloc byte[10];
        RandomNumberGenerator.Fill(entropy);
        return Format(time, entropy);
    }

    /// <summary>The smallest ID at <paramref name="time"/>: every block cut at or after it sorts after this ID.</summary>
    public static string MinFor(DateTimeOffset time) => Format(time, stackalloc byte[10]);

    /// <summary>The creation time encoded in an ID.</summary>
    public static DateTimeOffset GetTime(string blockId)
    {
        Validate(blockId);
        long ms = 0;
        for (var i = 0; i < 10; i++)
        {
            ms = (ms << 5) | (long)Alphabet.IndexOf(blockId[i], StringComparison.Ordinal);
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    public static bool IsValid(string? blockId) => blockId is not null && UlidRegex().IsMatch(blockId);

    public static string Validate(string? blockId) =>
        IsValid(blockId) ? blockId! : throw new ArgumentException($"block ID must be a 26-character ULID, got '{blockId}'", nameof(blockId));

    private static string Format(DateTimeOffset time, ReadOnlySpan<byte> entropy)
    {
        var ms = (ulong)Math.Max(0, time.ToUnixTimeMilliseconds());
        Span<char> chars = stackalloc char[26];
        for (var i = 9; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        // 80 bits of entropy as 16 five-bit groups.
        var hi = ((ulong)entropy[0] << 32) | ((ulong)entropy[1] << 24) | ((ulong)entropy[2] << 16) | ((ulong)entropy[3] << 8) | entropy[4];
        var lo = ((ulong)entropy[5] << 32) | ((ulong)entropy[6] << 24) | ((ulong)entropy[7] << 16) | ((ulong)entropy[8] << 8) | entropy[9];
        for (var i = 17; i >= 10; i--)
        {
            chars[i] = Alphabet[(int)(hi & 31)];
            hi >>= 5;
        }

        for (var i = 25; i >= 18; i--)
        {
            chars[i] = Alphabet[(int)(lo & 31)];
            lo >>= 5;
        }

        return new string(chars);
    }

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{26}$", RegexOptions.CultureInvariant)]
    private static partial Regex UlidRegex();
}
