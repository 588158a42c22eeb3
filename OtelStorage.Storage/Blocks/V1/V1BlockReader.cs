using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using OtelStorage.Storage.ObjectStore;
using Parquet;

namespace OtelStorage.Storage.Blocks.V1;

internal sealed class V1BlockReader(IObjectStore store, BlockKeys keys) : IBlockReader
{
    // Column chunks of a row group closer than this are read in one GET: the decision columns of a group lie side by side.
    private const long CoalesceGapBytes = 64 * 1024;

    private static ReadOnlyMemory<byte> HeadMagic { get; } = "PAR1"u8.ToArray();

    public async Task<BlockIndex> ReadIndexAsync(BlockMeta meta, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAsync(keys.Index(meta.Tenant, meta.BlockId), cancellationToken)
            ?? throw new FileNotFoundException($"index object of committed block {meta.Tenant}/{meta.BlockId} is missing");
        return V1BlockIndex.Deserialize(bytes);
    }

    public Task<IReadOnlyList<StoredSpan>> FindTracesAsync(BlockMeta meta, BlockIndex index, IReadOnlyList<ReadOnlyMemory<byte>> traceIds, CancellationToken cancellationToken) =>
        FindTracesAsync(meta, V1IndexOf(meta, index), traceIds, cancellationToken);

    public Task<IReadOnlyList<StoredSpan>> SearchAsync(BlockMeta meta, BlockIndex index, SpanQuery query, CancellationToken cancellationToken) =>
        SearchAsync(meta, V1IndexOf(meta, index), query, cancellationToken);

    private static V1BlockIndex V1IndexOf(BlockMeta meta, BlockIndex index) =>
        index as V1BlockIndex ?? throw new ArgumentException($"the index given for block {meta.Tenant}/{meta.BlockId} is a {index.GetType().Name}, not a v1 index: pass what this block's reader returned from ReadIndexAsync", nameof(index));

    private async Task<IReadOnlyList<StoredSpan>> FindTracesAsync(BlockMeta meta, V1BlockIndex index, IReadOnlyList<ReadOnlyMemory<byte>> traceIds, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var groups = new SortedSet<int>();
        foreach (var traceId in traceIds)
        {
            if (!index.MayContain(traceId.Span) || !wanted.Add(traceId.ToArray()))
            {
                continue;
            }

            var key = V1Rows.TraceKey(traceId.Span);
            for (var g = 0; g < index.RowGroups.Count; g++)
            {
                if (index.RowGroups[g].MayContainTrace(key))
                {
                    groups.Add(g);
                }
            }
        }

        if (groups.Count == 0)
        {
            return [];
        }

        // Each row group is fetched and decoded once, however many of the asked traces it holds.
        var dataKey = keys.Data(meta.Tenant, meta.BlockId);
        var fetches = groups.Select(async g =>
        {
            var rg = index.RowGroups[g];
            return (rg.Offset, (ReadOnlyMemory<byte>)await store.ReadRangeAsync(dataKey, rg.Offset, rg.Length, cancellationToken));
        });
        // The footer handed to Parquet.Net holds only the fetched row groups, so its parse does not grow with the block.
        var footer = index.Footer.For([.. groups]);
        var segments = new List<(long, ReadOnlyMemory<byte>)>(await Task.WhenAll(fetches))
        {
            (0, HeadMagic),
            (index.DataLength - footer.Length, footer),
        };

        var result = new List<StoredSpan>();
        await using var reader = await ParquetReader.CreateAsync(new SparseReadStream(index.DataLength, segments), cancellationToken: cancellationToken);
        for (var g = 0; g < groups.Count; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var ids = await V1Rows.ReadTraceIdsAsync(group, cancellationToken);
            var hits = Enumerable.Range(0, ids.Length).Where(i => wanted.Contains(ids[i])).ToList();
            if (hits.Count == 0)
            {
                continue;
            }

            var rows = await V1Rows.ReadAllAsync(group, null, cancellationToken);
            result.AddRange(hits.Select(i => rows.ToStoredSpan(i, meta.BlockId)));
        }

        return result;
    }

    private async Task<IReadOnlyList<StoredSpan>> SearchAsync(BlockMeta meta, V1BlockIndex index, SpanQuery query, CancellationToken cancellationToken)
    {
        if (!query.MayMatch(meta) || query.Limit <= 0)
        {
            return [];
        }

        ColumnPredicate[] predicates = [.. query.ColumnConditions()];
        var footer = index.Footer;
        // Newest row groups first: once `limit` matches are held, a group whose newest span is older than all of
        // them is skipped unread. A group whose column statistics rule out a condition is not read at all.
        var groups = Enumerable.Range(0, index.RowGroups.Count)
            .Where(g => index.RowGroups[g].MaxStartTimeUnixNano >= query.StartUnixNano && index.RowGroups[g].MinStartTimeUnixNano <= query.EndUnixNano)
            .Where(g => StatisticsAllow(footer, g, index.RowGroups[g].Inexact, predicates))
            .OrderByDescending(g => index.RowGroups[g].MaxStartTimeUnixNano)
            .ToList();
        if (groups.Count == 0)
        {
            return [];
        }

        AttributeFilter[] filters = [.. query.Attributes.Select(a => new AttributeFilter(a.Key, a.Value))];
        // The filters a promoted column can rule out, resolved once: other keys cannot be pre-filtered, and checking
        // each of them on every row would make a search with hundreds of tag filters take seconds per block.
        (string Column, string Value)[] promoted =
        [
            .. query.Attributes
                .Select(a => (Column: V1Schema.PromotedColumnFor(a.Key) ?? (a.Key == "service.name" ? "service_name" : null), a.Value))
                .Where(a => a.Column is not null)
                .Select(a => (a.Column!, a.Value)),
        ];

        // First read only the columns that decide which rows are candidates, for every group at once; the other
        // columns of a group are read only when it holds a candidate that can make the answer.
        string[] deciding =
        [
            .. new[] { V1Schema.StartTime.Name }
                .Concat(predicates.Select(p => V1Schema.ColumnOf(p.Column).Name))
                .Concat(promoted.Select(p => p.Column))
                .Distinct(),
        ];
        var dataKey = keys.Data(meta.Tenant, meta.BlockId);
        var footerBytes = footer.For(groups);
        var segments = new List<(long Offset, ReadOnlyMemory<byte> Bytes)>
        {
            (0, HeadMagic),
            (index.DataLength - footerBytes.Length, footerBytes),
        };
        segments.AddRange(await ReadRangesAsync(dataKey, groups.SelectMany(g => deciding.Select(c => footer.Chunk(g, c))), cancellationToken));
        await using var reader = await ParquetReader.CreateAsync(new SparseReadStream(index.DataLength, segments), cancellationToken: cancellationToken);

        // The best `limit` matches so far, and once there are that many, the start time of the oldest of them: an
        // older span cannot be in the answer, so it is not decoded. Without this floor a block of huge spans, one per
        // row group, would have every span decoded for a small limit.
        var matches = new List<StoredSpan>();
        ulong floor = 0;
        for (var position = 0; position < groups.Count; position++)
        {
            var g = groups[position];
            if (index.RowGroups[g].MaxStartTimeUnixNano < floor)
            {
                continue;
            }

            using var group = reader.OpenRowGroupReader(position);
            var rows = V1Rows.Unread(group);
            var candidates = await CandidatesAsync(group, rows, query, predicates, index.RowGroups[g].Inexact, promoted, cancellationToken);

            // Newest first within the group; ties are broken after decoding by the full comparer.
            candidates.Sort((a, b) => ((ulong)rows.Start[b]).CompareTo((ulong)rows.Start[a]));
            if (candidates.Count == 0 || (ulong)rows.Start[candidates[0]] < floor)
            {
                continue;
            }

            var rest = Enumerable.Range(0, V1Schema.Schema.DataFields.Length)
                .Select(c => footer.Chunk(g, V1Schema.Schema.DataFields[c].Name))
                .Where(c => c is not null && Array.IndexOf(deciding, c.Column) < 0);
            segments.AddRange(await ReadRangesAsync(dataKey, rest, cancellationToken));
            rows = await V1Rows.ReadAllAsync(group, rows, cancellationToken);
            var taken = 0;
            ulong? cutoff = null;
            foreach (var i in candidates)
            {
                // Keep every row tied with the last taken start time, so the final order does not depend on row order.
                if ((taken >= query.Limit && (ulong)rows.Start[i] != cutoff) || (ulong)rows.Start[i] < floor)
                {
                    break;
                }

                // Checked on the encoded row: only matching spans are decoded.
                if (filters.Length > 0 && !rows.AttributesMatch(i, filters))
                {
                    continue;
                }

                var span = rows.ToStoredSpan(i, meta.BlockId);
                if (query.Filter is { } filter && !filter(span))
                {
                    continue;
                }

                matches.Add(span);
                taken++;
                cutoff = (ulong)rows.Start[i];
            }

            if (matches.Count >= query.Limit)
            {
                matches.Sort(StoredSpan.NewestFirst);
                matches.RemoveRange(query.Limit, matches.Count - query.Limit);
                floor = matches[^1].StartTimeUnixNano;
            }
        }

        matches.Sort(StoredSpan.NewestFirst);
        return matches;
    }

    /// <summary>The column chunks, in as few ranged GETs as their layout allows, fetched concurrently.</summary>
    private async Task<(long Offset, ReadOnlyMemory<byte> Bytes)[]> ReadRangesAsync(string dataKey, IEnumerable<ColumnChunk?> chunks, CancellationToken cancellationToken)
    {
        var ranges = ByteRanges.Coalesce(chunks.OfType<ColumnChunk>().Select(c => (c.Offset, c.Length)), CoalesceGapBytes);
        return await Task.WhenAll(ranges.Select(async r =>
            (r.Offset, (ReadOnlyMemory<byte>)await store.ReadRangeAsync(dataKey, r.Offset, checked((int)r.Length), cancellationToken))));
    }

    /// <summary>
    /// The rows of a group that pass the time range and every column condition that applies to it, each column read
    /// only while some row is left. String conditions run once per distinct value.
    /// </summary>
    private static async Task<List<int>> CandidatesAsync(
        Parquet.ParquetRowGroupReader group, V1Rows rows, SpanQuery query, ColumnPredicate[] predicates, InexactColumns inexact,
        (string Column, string Value)[] promoted, CancellationToken cancellationToken)
    {
        await rows.ReadFilterColumnAsync(group, V1Schema.StartTime, cancellationToken);
        var candidates = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            var start = (ulong)rows.Start[i];
            if (start >= query.StartUnixNano && start <= query.EndUnixNano)
            {
                candidates.Add(i);
            }
        }

        foreach (var p in predicates)
        {
            if (candidates.Count == 0)
            {
                return candidates;
            }

            if (!Applies(p, inexact))
            {
                continue;
            }

            await rows.ReadFilterColumnAsync(group, V1Schema.ColumnOf(p.Column), cancellationToken);
            if (ColumnPredicate.IsString(p.Column))
            {
                var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
                candidates.RemoveAll(i =>
                {
                    var value = rows.Text(p.Column, i);
                    if (!verdicts.TryGetValue(value, out var pass))
                    {
                        pass = p.Matches(value);
                        verdicts[value] = pass;
                    }

                    return !pass;
                });
            }
            else
            {
                candidates.RemoveAll(i => !p.Matches(rows.Number(p.Column, i)));
            }
        }

        // Promoted attributes pre-filter; the encoded span is checked exactly afterwards.
        foreach (var (column, value) in promoted)
        {
            if (candidates.Count == 0)
            {
                break;
            }

            await rows.ReadFilterColumnAsync(group, Array.Find(V1Schema.FilterColumns, f => f.Name == column)!, cancellationToken);
            candidates.RemoveAll(i => !(column switch
            {
                "http_method" => rows.HttpMethod[i] == value,
                "http_status_code" => rows.HttpStatusCode[i].ToString(CultureInfo.InvariantCulture) == value,
                "http_route" => rows.HttpRoute[i] == value,
                "db_system" => rows.DbSystem[i] == value,
                _ => rows.ServiceName[i] == value,
            }));
        }

        return candidates;
    }

    /// <summary>Whether a condition may drop rows of a group: one on an attribute only where its column is exact there.</summary>
    private static bool Applies(ColumnPredicate predicate, InexactColumns inexact) =>
        predicate.OnStoredValue || (inexact & V1Schema.InexactFlag(predicate.Column)) == 0;

    /// <summary>False when a column's min/max statistics in the footer rule out a condition for the whole row group.</summary>
    private static bool StatisticsAllow(ParquetFooter footer, int rowGroup, InexactColumns inexact, ColumnPredicate[] predicates)
    {
        foreach (var p in predicates)
        {
            if (!Applies(p, inexact) || footer.Chunk(rowGroup, V1Schema.ColumnOf(p.Column).Name) is not { Min: { } min, Max: { } max })
            {
                continue;
            }

            var allowed = ColumnPredicate.IsString(p.Column) ? p.MayMatch(min, max)
                : min.Length == 8 ? p.MayMatch(BinaryPrimitives.ReadInt64LittleEndian(min), BinaryPrimitives.ReadInt64LittleEndian(max))
                : min.Length != 4 || p.MayMatch(BinaryPrimitives.ReadInt32LittleEndian(min), BinaryPrimitives.ReadInt32LittleEndian(max));
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }

    public async IAsyncEnumerable<StoredSpan> ReadAllAsync(BlockMeta meta, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var rows in ReadRowGroupsAsync(meta, cancellationToken))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                yield return rows.ToStoredSpan(i, meta.BlockId);
            }
        }
    }

    /// <summary>Every row group of the block, every column read, in stored order: what compaction copies.</summary>
    internal async IAsyncEnumerable<V1Rows> ReadRowGroupsAsync(BlockMeta meta, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var data = await store.ReadAsync(keys.Data(meta.Tenant, meta.BlockId), cancellationToken)
            ?? throw new FileNotFoundException($"data object of committed block {meta.Tenant}/{meta.BlockId} is missing");
        using var stream = new MemoryStream(data, writable: false);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            yield return await V1Rows.ReadAllAsync(group, null, cancellationToken);
        }
    }
}
