using System.Globalization;
using System.Runtime.CompilerServices;
using OtelStorage.Storage.ObjectStore;
using Parquet;

namespace OtelStorage.Storage.Blocks.V1;

internal sealed class V1BlockReader(IObjectStore store, BlockKeys keys) : IBlockReader
{
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

        // Newest row groups first: once `limit` matches are held, a group whose newest span is older than all of
        // them is skipped unread.
        var groups = Enumerable.Range(0, index.RowGroups.Count)
            .Where(g => index.RowGroups[g].MaxStartTimeUnixNano >= query.StartUnixNano && index.RowGroups[g].MinStartTimeUnixNano <= query.EndUnixNano)
            .OrderByDescending(g => index.RowGroups[g].MaxStartTimeUnixNano)
            .ToList();
        if (groups.Count == 0)
        {
            return [];
        }

        // Rows are sorted by trace ID, so every row group spans the block's whole time range: a scan reads them all,
        // and one GET of the object is cheaper than a ranged GET per row group.
        var data = await store.ReadAsync(keys.Data(meta.Tenant, meta.BlockId), cancellationToken)
            ?? throw new FileNotFoundException($"data object of committed block {meta.Tenant}/{meta.BlockId} is missing");
        using var stream = new MemoryStream(data, writable: false);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
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
        // The best `limit` matches so far, and once there are that many, the start time of the oldest of them: an
        // older span cannot be in the answer, so it is not decoded. Without this floor a block of huge spans, one per
        // row group, would have every span decoded for a small limit.
        var matches = new List<StoredSpan>();
        ulong floor = 0;
        foreach (var g in groups)
        {
            if (index.RowGroups[g].MaxStartTimeUnixNano < floor)
            {
                continue;
            }

            using var group = reader.OpenRowGroupReader(g);
            var columns = await V1Rows.ReadFilterColumnsAsync(group, cancellationToken);
            var candidates = new List<int>();
            for (var i = 0; i < columns.Count; i++)
            {
                if (Matches(columns, i, query, promoted))
                {
                    candidates.Add(i);
                }
            }

            // Newest first within the group; ties are broken after decoding by the full comparer.
            candidates.Sort((a, b) => ((ulong)columns.Start[b]).CompareTo((ulong)columns.Start[a]));
            if (candidates.Count == 0 || (ulong)columns.Start[candidates[0]] < floor)
            {
                continue;
            }

            var rows = await V1Rows.ReadAllAsync(group, columns, cancellationToken);
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

    private static bool Matches(V1Rows r, int i, SpanQuery q, (string Column, string Value)[] promoted)
    {
        var start = (ulong)r.Start[i];
        if (start < q.StartUnixNano || start > q.EndUnixNano)
        {
            return false;
        }

        if ((q.MinDurationNanos is { } min && r.Duration[i] < min) || (q.MaxDurationNanos is { } max && r.Duration[i] > max))
        {
            return false;
        }

        if ((q.Service is not null && !string.Equals(r.ServiceName[i], q.Service, StringComparison.Ordinal))
            || (q.SpanName is not null && !string.Equals(r.Name[i], q.SpanName, StringComparison.Ordinal))
            || (q.StatusCode is { } status && r.StatusCode[i] != status)
            || (q.Kind is { } kind && r.Kind[i] != kind))
        {
            return false;
        }

        // Promoted attributes pre-filter; the encoded span is checked exactly afterwards.
        foreach (var (column, value) in promoted)
        {
            var ok = column switch
            {
                "http_method" => r.HttpMethod[i] == value,
                "http_status_code" => r.HttpStatusCode[i].ToString(CultureInfo.InvariantCulture) == value,
                "http_route" => r.HttpRoute[i] == value,
                "db_system" => r.DbSystem[i] == value,
                _ => r.ServiceName[i] == value,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
