namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Byte ranges of a data object merged into fewer reads.</summary>
internal static class ByteRanges
{
    /// <summary>
    /// The ranges sorted and merged where they overlap or lie at most <paramref name="maxGap"/> bytes apart: one GET
    /// of a small gap costs less than a second request.
    /// </summary>
    public static List<(long Offset, long Length)> Coalesce(IEnumerable<(long Offset, long Length)> ranges, long maxGap)
    {
        var merged = new List<(long Offset, long Length)>();
        foreach (var (offset, length) in ranges.Where(r => r.Length > 0).OrderBy(r => r.Offset))
        {
            if (merged.Count > 0 && offset <= merged[^1].Offset + merged[^1].Length + maxGap)
            {
                var last = merged[^1];
                merged[^1] = (last.Offset, Math.Max(last.Offset + last.Length, offset + length) - last.Offset);
            }
            else
            {
                merged.Add((offset, length));
            }
        }

        return merged;
    }
}
