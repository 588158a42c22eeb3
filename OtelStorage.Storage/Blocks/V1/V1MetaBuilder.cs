using System.Buffers;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks.Metadata;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Builds a v1 block's meta.json content: time bounds, counts, sizes, the services, operations and dependencies of its
/// spans, and the summaries of their attributes (<see cref="V1AttributeSummarizer"/>).
/// </summary>
internal sealed class V1MetaBuilder(SpanArena arena, BlockStrings strings, V1Envelopes envelopes, AttributeSummaryLimits summaryLimits)
{
    private static readonly ArrayPool<SpanFacts> FactPool = V1ArrayPools.Create<SpanFacts>();

    /// <summary>The meta of block <paramref name="blockId"/>, whose data and index objects are already encoded.</summary>
    /// <param name="tenant">The block's tenant.</param>
    /// <param name="blockId">The block's ID.</param>
    /// <param name="createdAt">When the block was built.</param>
    /// <param name="rows">The block's rows, in any order.</param>
    /// <param name="spanBytes">The protobuf size of the block's spans (<see cref="IBlockBuilder.ByteCount"/>).</param>
    /// <param name="dataBytes">The size of the data object.</param>
    /// <param name="indexBytes">The size of the index object.</param>
    /// <param name="rowGroups">The data object's row groups.</param>
    public BlockMeta Build(string tenant, string blockId, DateTimeOffset createdAt, ReadOnlySpan<V1Row> rows, long spanBytes, long dataBytes, long indexBytes, int rowGroups)
    {
        // Pooled like the rows; cleared on return, since the facts hold the service and span name strings.
        var facts = FactPool.Rent(rows.Length);
        ulong minStart = ulong.MaxValue, maxStart = 0, maxEnd = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var r = ref rows[i];
            var service = strings.Text(envelopes.ResourceServices[r.Resource]);
            var parent = arena.Span(r.ParentSpanId);
            facts[i] = new SpanFacts(
                MetadataExtractor.TraceKey(arena.Span(r.TraceId)),
                MetadataExtractor.SpanKey(arena.Span(r.SpanId)),
                parent.IsEmpty ? null : MetadataExtractor.SpanKey(parent),
                service,
                strings.Text(r.Name),
                r.Kind,
                r.StatusCode == (int)Status.Types.StatusCode.Error,
                r.Duration);
            minStart = Math.Min(minStart, r.Start);
            maxStart = Math.Max(maxStart, r.Start);
            maxEnd = Math.Max(maxEnd, unchecked(r.Start + (ulong)r.Duration));
        }

        ExtractedMetadata extracted;
        try
        {
            extracted = MetadataExtractor.Extract(facts.AsSpan(0, rows.Length));
        }
        finally
        {
            FactPool.Return(facts, clearArray: true);
        }

        var meta = new BlockMeta
        {
            FormatVersion = V1Encoding.VersionName,
            Tenant = tenant,
            BlockId = blockId,
            CreatedAt = createdAt,
            MinStartTimeUnixNano = rows.Length == 0 ? 0 : minStart,
            MaxStartTimeUnixNano = maxStart,
            MaxEndTimeUnixNano = maxEnd,
            RetainFrom = RetentionStart.For(maxStart, createdAt),
            SpanCount = rows.Length,
            TraceCount = extracted.TraceCount,
            DataSizeBytes = dataBytes,
            IndexSizeBytes = indexBytes,
            SizeBytes = dataBytes + indexBytes,
            SpanBytes = spanBytes,
            RowGroupCount = rowGroups,
            Dependencies = [.. extracted.Dependencies],
            ServiceStatistics = [.. extracted.Services],
            OperationStatistics = [.. extracted.Operations],
            Attributes = new V1AttributeSummarizer(arena, strings, envelopes, summaryLimits).Summarize(rows),
        };

        // Operation statistics are sorted by service then name, so services and operations fall out in order.
        foreach (var op in extracted.Operations)
        {
            if (!meta.Operations.TryGetValue(op.Service, out var names))
            {
                meta.Operations[op.Service] = names = [];
                meta.Services.Add(op.Service);
            }

            if (names.Count == 0 || names[^1] != op.Operation)
            {
                names.Add(op.Operation);
            }
        }

        return meta;
    }
}
