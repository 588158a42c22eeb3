using System.Buffers;
using OtelStorage.Storage.Blocks.Metadata;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Puts a block's rows in the order v1 stores them: trace ID, then start time, then span ID.</summary>
internal static class V1RowSorter
{
    private static readonly ArrayPool<SortKey> KeyPool = V1ArrayPools.Create<SortKey>();
    private static readonly ArrayPool<int> IndexPool = V1ArrayPools.Create<int>();

    /// <summary>
    /// Sorts <paramref name="rows"/> in place: compact keys are sorted, then each cycle of the permutation is followed
    /// once, so every row moves once and no second row array is made.
    /// </summary>
    public static void Sort(Span<V1Row> rows, SpanArena arena)
    {
        if (rows.IsEmpty)
        {
            return;
        }

        var keys = KeyPool.Rent(rows.Length);
        var source = IndexPool.Rent(rows.Length);
        try
        {
            for (var i = 0; i < rows.Length; i++)
            {
                keys[i] = new SortKey(V1Rows.TraceKey(arena.Span(rows[i].TraceId)), rows[i].Start, MetadataExtractor.SpanKey(arena.Span(rows[i].SpanId)), i);
            }

            Array.Sort(keys, 0, rows.Length);
            for (var i = 0; i < rows.Length; i++)
            {
                source[i] = keys[i].Index;
            }

            // Row j takes the row at source[j]; a position is read before it is written, except the cycle's first,
            // which is held. Done positions are marked -1.
            for (var first = 0; first < rows.Length; first++)
            {
                if (source[first] < 0 || source[first] == first)
                {
                    continue;
                }

                var held = rows[first];
                for (var j = first; ;)
                {
                    var from = source[j];
                    source[j] = -1;
                    if (from == first)
                    {
                        rows[j] = held;
                        break;
                    }

                    rows[j] = rows[from];
                    j = from;
                }
            }
        }
        finally
        {
            KeyPool.Return(keys);
            IndexPool.Return(source);
        }
    }

    private readonly record struct SortKey(UInt128 Trace, ulong Start, ulong Span, int Index) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            var c = Trace.CompareTo(other.Trace);
            if (c != 0)
            {
                return c;
            }

            c = Start.CompareTo(other.Start);
            return c != 0 ? c : Span.CompareTo(other.Span);
        }
    }
}
