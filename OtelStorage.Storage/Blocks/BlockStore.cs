using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Tenancy;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Blocks over an <see cref="IObjectStore"/>: the backend over (tenant, block ID, object name). It lists
/// committed blocks, reads meta.json, writes blocks with the commit protocol (data and index, then meta.json) and
/// routes reads to the block's format version through <see cref="BlockEncodings.FromVersion"/>.
/// </summary>
public sealed class BlockStore
{
    private readonly IObjectStore _store;

    public BlockStore(IObjectStore store, IOptions<ObjectStoreOptions> options)
        : this(store, new BlockKeys(options.Value.Prefix))
    {
    }

    public BlockStore(IObjectStore store, BlockKeys keys)
    {
        _store = store;
        Keys = keys;
    }

    public BlockKeys Keys { get; }

    /// <summary>
    /// IDs of the tenant's committed blocks (those with meta.json), oldest first. With <paramref name="createdAfter"/>,
    /// the listing starts at that instant's block IDs, which are time-sortable.
    /// </summary>
    public async IAsyncEnumerable<string> ListBlockIdsAsync(string tenant, DateTimeOffset? createdAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tenantPrefix = Keys.Tenant(tenant);
        var startAfter = createdAfter is { } t ? tenantPrefix + BlockId.MinFor(t) : null;
        await foreach (var o in _store.ListAsync(tenantPrefix, startAfter, cancellationToken))
        {
            if (Keys.TryParse(tenant, o.Key, out var blockId, out var name) && name == BlockKeys.MetaName)
            {
                yield return blockId;
            }
        }
    }

    /// <summary>
    /// The meta.json of every committed block of the tenant, oldest first. Blocks deleted meanwhile are skipped, and so
    /// are blocks whose meta.json does not parse (see <see cref="ReadMetaAsync"/>): they are not committed.
    /// </summary>
    public async IAsyncEnumerable<BlockMeta> ListBlocksAsync(string tenant, DateTimeOffset? createdAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var id in ListBlockIdsAsync(tenant, createdAfter, cancellationToken))
        {
            BlockMeta? meta;
            try
            {
                meta = await ReadMetaAsync(tenant, id, cancellationToken);
            }
            catch (InvalidDataException)
            {
                continue;
            }

            if (meta is not null)
            {
                yield return meta;
            }
        }
    }

    /// <summary>
    /// The meta.json of every committed block of the tenant, oldest first, reading through the <see cref="TenantIndex"/>:
    /// one GET for the blocks it holds and one for each block committed since. Blocks whose meta.json does not parse
    /// are skipped, as in <see cref="ListBlocksAsync"/>.
    /// </summary>
    public async Task<List<BlockMeta>> ReadAllMetasAsync(string tenant, int parallelReads, CancellationToken cancellationToken)
    {
        var indexed = (await ReadTenantIndexAsync(tenant, cancellationToken))?.ById() ?? [];
        var ids = await ListBlockIdsAsync(tenant, null, cancellationToken).ToListAsync(cancellationToken);
        var metas = new BlockMeta?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelReads, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    metas[i] = indexed.GetValueOrDefault(ids[i]) ?? await ReadMetaAsync(tenant, ids[i], ct);
                }
                catch (InvalidDataException)
                {
                    // Not committed: an upload cut off midway.
                }
            });
        return [.. metas.OfType<BlockMeta>()];
    }

    /// <summary>Writes the tenant's <see cref="TenantIndex"/> of <paramref name="blocks"/>.</summary>
    public Task WriteTenantIndexAsync(string tenant, IEnumerable<BlockMeta> blocks, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        _store.WriteAsync(Keys.TenantIndex(tenant), new TenantIndex { CreatedAt = createdAt, Blocks = [.. blocks] }.ToGzippedJson(), cancellationToken);

    public Task DeleteTenantIndexAsync(string tenant, CancellationToken cancellationToken) => _store.DeleteAsync(Keys.TenantIndex(tenant), cancellationToken);

    /// <summary>The tenant's <see cref="TenantIndex"/>, or null when there is none or it does not parse.</summary>
    public async Task<TenantIndex?> ReadTenantIndexAsync(string tenant, CancellationToken cancellationToken) =>
        await _store.ReadAsync(Keys.TenantIndex(tenant), cancellationToken) is { } bytes ? TenantIndex.FromGzippedJson(bytes) : null;

    /// <summary>
    /// Every committed block of every tenant, as (tenant, block ID) in key order, from one listing of the whole store.
    /// Lists every key, so use it for background work only.
    /// </summary>
    public async IAsyncEnumerable<(string Tenant, string BlockId)> ListAllBlockIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var o in _store.ListAsync(Keys.Root, null, cancellationToken))
        {
            if (Keys.TryParse(o.Key, out var tenant, out var blockId, out var name) && name == BlockKeys.MetaName)
            {
                yield return (tenant, blockId);
            }
        }
    }

    /// <summary>Tenants that have at least one object, in key order. Lists every key, so use it for background work only.</summary>
    public async IAsyncEnumerable<string> ListTenantsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        await foreach (var o in _store.ListAsync(Keys.Root, null, cancellationToken))
        {
            var rest = o.Key.AsSpan(Keys.Root.Length);
            var slash = rest.IndexOf('/');
            if (slash > 0 && rest[..slash].ToString() is var tenant && tenant != last && TenantId.IsValid(tenant))
            {
                last = tenant;
                yield return tenant;
            }
        }
    }

    /// <summary>A block's meta.json, or null when the block is not committed (or gone).</summary>
    /// <exception cref="InvalidDataException">
    /// The meta.json exists but does not parse. S3 and MinIO never show a partial object, but a store without atomic
    /// PUTs (s3rver) keeps what it received of an upload cut off midway, such as that of a batcher killed mid-flush. Such a
    /// block was never acknowledged (its messages are redelivered into another block), so it is not committed:
    /// callers skip it rather than fail, and a retried write of the same block ID replaces it.
    /// </exception>
    public async Task<BlockMeta?> ReadMetaAsync(string tenant, string blockId, CancellationToken cancellationToken)
    {
        var bytes = await _store.ReadAsync(Keys.Meta(tenant, blockId), cancellationToken);
        return bytes is null ? null : BlockMeta.FromJson(bytes);
    }

    /// <summary>The reader for the block's format version.</summary>
    public IBlockReader ReaderFor(BlockMeta meta) => BlockEncodings.FromVersion(meta.FormatVersion).CreateReader(_store, Keys);

    /// <summary>Reads a block's index (bloom filter, row-group table, footer); cache it per block.</summary>
    public Task<BlockIndex> ReadIndexAsync(BlockMeta meta, CancellationToken cancellationToken) => ReaderFor(meta).ReadIndexAsync(meta, cancellationToken);

    /// <inheritdoc cref="IBlockReader.FindTracesAsync"/>
    public Task<IReadOnlyList<StoredSpan>> FindTracesAsync(BlockMeta meta, BlockIndex index, IReadOnlyList<ReadOnlyMemory<byte>> traceIds, CancellationToken cancellationToken) =>
        ReaderFor(meta).FindTracesAsync(meta, index, traceIds, cancellationToken);

    /// <summary>The spans of one trace in the block (<see cref="FindTracesAsync"/> for one ID).</summary>
    public Task<IReadOnlyList<StoredSpan>> FindTraceAsync(BlockMeta meta, BlockIndex index, ReadOnlyMemory<byte> traceId, CancellationToken cancellationToken) =>
        FindTracesAsync(meta, index, [traceId], cancellationToken);

    /// <inheritdoc cref="IBlockReader.SearchAsync"/>
    public Task<IReadOnlyList<StoredSpan>> SearchAsync(BlockMeta meta, BlockIndex index, SpanQuery query, CancellationToken cancellationToken) =>
        ReaderFor(meta).SearchAsync(meta, index, query, cancellationToken);

    /// <inheritdoc cref="IBlockReader.ReadAllAsync"/>
    public IAsyncEnumerable<StoredSpan> ReadAllAsync(BlockMeta meta, CancellationToken cancellationToken) =>
        ReaderFor(meta).ReadAllAsync(meta, cancellationToken);

    /// <summary>
    /// Writes a block: data and index first (in parallel), then meta.json, the commit point. If this throws, the
    /// block is not committed; writing the same block again overwrites its own partial objects.
    /// </summary>
    public async Task WriteAsync(EncodedBlock block, CancellationToken cancellationToken)
    {
        var (tenant, id) = (block.Meta.Tenant, block.Meta.BlockId);
        await Task.WhenAll(
            _store.WriteAsync(Keys.Data(tenant, id), block.Data, cancellationToken),
            _store.WriteAsync(Keys.Index(tenant, id), block.Index, cancellationToken));
        await _store.WriteAsync(Keys.Meta(tenant, id), block.Meta.ToJson(), cancellationToken);
    }

    /// <summary>Deletes a block: meta.json first, so it stops being visible before its data goes.</summary>
    public async Task DeleteAsync(string tenant, string blockId, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(Keys.Meta(tenant, blockId), cancellationToken);
        await _store.DeleteAsync(Keys.Index(tenant, blockId), cancellationToken);
        await _store.DeleteAsync(Keys.Data(tenant, blockId), cancellationToken);
    }

    /// <summary>
    /// Blocks with objects but no meta.json whose ID is older than <paramref name="olderThan"/>: left by writes
    /// interrupted before the commit. Readers never see them; <see cref="DeleteAsync"/> cleans them.
    /// </summary>
    public async IAsyncEnumerable<string> ListOrphansAsync(string tenant, DateTimeOffset olderThan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? current = null;
        var committed = false;
        await foreach (var o in _store.ListAsync(Keys.Tenant(tenant), null, cancellationToken))
        {
            if (!Keys.TryParse(tenant, o.Key, out var blockId, out var name))
            {
                continue;
            }

            if (blockId != current)
            {
                if (current is not null && !committed && BlockId.GetTime(current) < olderThan)
                {
                    yield return current;
                }

                current = blockId;
                committed = false;
            }

            committed |= name == BlockKeys.MetaName;
        }

        if (current is not null && !committed && BlockId.GetTime(current) < olderThan)
        {
            yield return current;
        }
    }
}
