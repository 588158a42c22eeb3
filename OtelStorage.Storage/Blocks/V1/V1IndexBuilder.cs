namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Builds a v1 block's index object (<see cref="V1BlockIndex"/>) from its sorted rows and its written data object.</summary>
internal static class V1IndexBuilder
{
    /// <summary>
    /// The bloom filter of the rows' trace IDs, and each row group's byte range, trace-ID bounds, start-time
    /// bounds and inexact promoted columns. The byte ranges come from the written footer, parsed by <see cref="ParquetFooter"/>, rather than from
    /// opening the file again with Parquet.Net's reader (docs/PERFORMANCE.md, "Where the CPU goes").
    /// </summary>
    /// <param name="data">The data object, as the Parquet writer finished it.</param>
    /// <param name="sortedRows">The rows in the order they were written.</param>
    /// <param name="ranges">The first row and row count of each row group, in order.</param>
    /// <param name="arena">The arena the rows' IDs lie in.</param>
    /// <param name="bloomFalsePositiveRate">The bloom filter's target rate (<see cref="BlockBuildOptions.BloomFalsePositiveRate"/>).</param>
    public static V1BlockIndex Build(byte[] data, ReadOnlySpan<V1Row> sortedRows, List<(int Start, int Count)> ranges, SpanArena arena, double bloomFalsePositiveRate)
    {
        var bloom = BloomFilter.Create(CountTraces(sortedRows, arena), bloomFalsePositiveRate);
        foreach (ref readonly var r in sortedRows)
        {
            bloom.Add(arena.Span(r.TraceId));
        }

        var footerLength = BitConverter.ToInt32(data, data.Length - 8) + 8;
        var footerBytes = data.AsMemory(data.Length - footerLength);
        var footer = ParquetFooter.Parse(footerBytes);
        if (footer.RowGroupCount != ranges.Count)
        {
            throw new InvalidDataException($"Parquet writer produced {footer.RowGroupCount} row groups, not {ranges.Count}");
        }

        var groups = new List<RowGroupRange>(ranges.Count);
        for (var g = 0; g < ranges.Count; g++)
        {
            var (first, length) = footer.ByteRange(g);
            var (rowStart, count) = ranges[g];
            ulong minStart = ulong.MaxValue, maxStart = 0;
            var inexact = InexactColumns.None;
            for (var i = rowStart; i < rowStart + count; i++)
            {
                minStart = Math.Min(minStart, sortedRows[i].Start);
                maxStart = Math.Max(maxStart, sortedRows[i].Start);
                inexact |= sortedRows[i].Inexact;
            }

            groups.Add(new RowGroupRange(
                first,
                checked((int)length),
                count,
                V1Rows.TraceKey(arena.Span(sortedRows[rowStart].TraceId)),
                V1Rows.TraceKey(arena.Span(sortedRows[rowStart + count - 1].TraceId)),
                minStart,
                maxStart,
                inexact));
        }

        return new V1BlockIndex
        {
            Bloom = bloom,
            RowGroups = groups,
            DataLength = data.Length,
            FooterBytes = footerBytes,
        };
    }

    private static int CountTraces(ReadOnlySpan<V1Row> sortedRows, SpanArena arena)
    {
        var count = 0;
        for (var i = 0; i < sortedRows.Length; i++)
        {
            if (i == 0 || !arena.Span(sortedRows[i].TraceId).SequenceEqual(arena.Span(sortedRows[i - 1].TraceId)))
            {
                count++;
            }
        }

        return count;
    }
}
