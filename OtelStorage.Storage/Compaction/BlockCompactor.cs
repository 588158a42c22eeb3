using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Retention;
using OtelStorage.Tenancy;

namespace OtelStorage.Storage.Compaction;

/// <summary>Why a job wrote nothing.</summary>
public enum CompactionSkipReason
{
    None,

    /// <summary>A source has no meta.json any more (deleted by retention or an earlier run of the job).</summary>
    SourceMissing,

    /// <summary>A committed block already replaces a source: the job ran before (a retry after a crash past the commit).</summary>
    AlreadyCompacted,
}

/// <summary>What one compaction job did.</summary>
public sealed record CompactionResult(
    string Tenant,
    CompactionSkipReason Skipped,
    BlockMeta? Block,
    int SourceBlocks,
    long SourceBytes,
    long SpansRead,
    long DuplicatesRemoved)
{
    public long BytesAfter => Block?.SizeBytes ?? 0;
}

/// <summary>
/// Merges blocks into one: reads every source through the reader of its own format version, drops duplicate
/// spans (same trace ID and span ID; the copy from the oldest block is kept), and builds a new block in the
/// current format, which re-sorts by trace ID and rebuilds the bloom filter and every statistic from the
/// distinct spans. The new block's meta.json lists the sources in <c>replaces</c> and is written last, so
/// from its commit on readers ignore the sources; deleting them is left to <see cref="CompactionSweeper"/>
/// after a grace period. A crash at any point leaves either the sources alone visible or the new block alone.
/// </summary>
public sealed class BlockCompactor(BlockStore store, BlockBuildOptions buildOptions, TimeProvider time)
{
    // Spans are handed to the builder in requests of at most this many spans and serialized bytes, so only one
    // chunk of decoded spans is alive. The byte bound matters for large spans: 4,096 spans of 128 KiB attributes
    // (the fuzz suite's) made 512 MiB requests, held twice over as UTF-16 strings, and Batcher.Worker passed 2.5 GiB.
    private const int ChunkSpans = 4096;
    private const int ChunkBytes = 4 * 1024 * 1024;

    public async Task<CompactionResult> CompactAsync(string tenant, IReadOnlyList<string> sourceIds, CancellationToken cancellationToken)
    {
        TenantId.Validate(tenant);
        var ordered = sourceIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var sources = new List<BlockMeta>(ordered.Count);
        foreach (var id in ordered)
        {
            if (await store.ReadMetaAsync(tenant, id, cancellationToken) is not { } meta)
            {
                return Skip(CompactionSkipReason.SourceMissing);
            }

            sources.Add(meta);
        }

        // A block that replaces a source was created after it, so listing from the oldest source's ID finds it.
        var sourceSet = ordered.ToHashSet(StringComparer.Ordinal);
        await foreach (var other in store.ListBlocksAsync(tenant, BlockId.GetTime(ordered[0]), cancellationToken))
        {
            if (!sourceSet.Contains(other.BlockId) && other.Replaces.Any(sourceSet.Contains))
            {
                return Skip(CompactionSkipReason.AlreadyCompacted);
            }
        }

        // Sources that are themselves compacted may have sources still waiting for deletion: carry them forward,
        // or deleting the intermediate block would make them visible again.
        var replaces = new SortedSet<string>(ordered, StringComparer.Ordinal);
        foreach (var inherited in sources.SelectMany(s => s.Replaces).Distinct(StringComparer.Ordinal))
        {
            if (await store.ReadMetaAsync(tenant, inherited, cancellationToken) is not null)
            {
                replaces.Add(inherited);
            }
        }

        var builder = BlockEncodings.Current.CreateBuilder(tenant, buildOptions);
        var seen = new HashSet<(UInt128, ulong)>();
        var chunk = new RequestAssembler();
        long read = 0, duplicates = 0;
        foreach (var source in sources)
        {
            await foreach (var span in store.ReadAllAsync(source, cancellationToken))
            {
                read++;
                if (!seen.Add(span.Key))
                {
                    duplicates++;
                    continue;
                }

                chunk.Add(span);
                if (chunk.Count >= ChunkSpans || chunk.SpanBytes >= ChunkBytes)
                {
                    builder.AddProtobuf(chunk.TakeBytes());
                }
            }
        }

        if (chunk.Count > 0)
        {
            builder.AddProtobuf(chunk.TakeBytes());
        }

        // The ID is taken now, not when the job was planned, so the block sorts among the newest and readers
        // that list only recent block IDs find it.
        var now = time.GetUtcNow();
        var block = await builder.BuildAsync(BlockId.New(now), now, cancellationToken);
        block.Meta.Replaces = [.. replaces];
        block.Meta.CompactionLevel = sources.Max(s => s.CompactionLevel) + 1;

        // The sources' clocks carry over: compacting must neither shorten nor restart any span's retention.
        block.Meta.RetainFrom = sources.Max(RetentionPolicy.DataTime);
        await store.WriteAsync(block, cancellationToken);
        return new CompactionResult(tenant, CompactionSkipReason.None, block.Meta, sources.Count, sources.Sum(s => s.SizeBytes), read, duplicates);

        CompactionResult Skip(CompactionSkipReason reason) => new(tenant, reason, null, 0, 0, 0, 0);
    }

    /// <summary>
    /// Groups spans into an <c>ExportTraceServiceRequest</c>. Spans read from one row group share their resource and
    /// scope objects, so grouping by reference is cheap and exact; equal resources from different row groups become
    /// separate ResourceSpans, which the builder stores once anyway.
    /// </summary>
    private sealed class RequestAssembler
    {
        private readonly Dictionary<ResourceKey, (ResourceSpans Spans, Dictionary<ScopeKey, ScopeSpans> Scopes)> _groups = [];
        private ExportTraceServiceRequest _request = new();

        public int Count { get; private set; }

        /// <summary>Serialized size of the spans added, without their resources and scopes.</summary>
        public long SpanBytes { get; private set; }

        public void Add(StoredSpan span)
        {
            var resourceKey = new ResourceKey(span.Resource, span.ResourceSchemaUrl);
            if (!_groups.TryGetValue(resourceKey, out var resource))
            {
                resource = (new ResourceSpans { Resource = span.Resource, SchemaUrl = span.ResourceSchemaUrl }, []);
                _groups[resourceKey] = resource;
                _request.ResourceSpans.Add(resource.Spans);
            }

            var scopeKey = new ScopeKey(span.Scope, span.ScopeSchemaUrl);
            if (!resource.Scopes.TryGetValue(scopeKey, out var scopeSpans))
            {
                scopeSpans = new ScopeSpans { Scope = span.Scope, SchemaUrl = span.ScopeSchemaUrl };
                resource.Scopes[scopeKey] = scopeSpans;
                resource.Spans.ScopeSpans.Add(scopeSpans);
            }

            scopeSpans.Spans.Add(span.Span);
            Count++;
            SpanBytes += span.Span.CalculateSize();
        }

        public byte[] TakeBytes()
        {
            var bytes = _request.ToByteArray();
            _request = new ExportTraceServiceRequest();
            _groups.Clear();
            Count = 0;
            SpanBytes = 0;
            return bytes;
        }

        private readonly record struct ResourceKey(Resource? Resource, string SchemaUrl)
        {
            public bool Equals(ResourceKey other) => ReferenceEquals(Resource, other.Resource) && SchemaUrl == other.SchemaUrl;

            public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Resource), SchemaUrl);
        }

        private readonly record struct ScopeKey(InstrumentationScope? Scope, string SchemaUrl)
        {
            public bool Equals(ScopeKey other) => ReferenceEquals(Scope, other.Scope) && SchemaUrl == other.SchemaUrl;

            public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Scope), SchemaUrl);
        }
    }
}
