using OtelStorage.Storage.Blocks;

namespace OtelStorage.Compaction;

/// <summary>What one sweep of a tenant deleted.</summary>
public sealed record SweepResult(int ReplacedDeleted, int OrphansDeleted);

/// <summary>
/// Deletes what compaction leaves behind, judging only by what is in the store, so it is safe to repeat and
/// finishes the work of a compactor that crashed: sources whose replacing block committed more than the grace
/// period ago (queries that started before the commit have finished by then), and orphans older than the orphan
/// grace period: objects without meta.json from interrupted writes, and blocks whose meta.json does not parse (an
/// upload cut off midway on a store without atomic PUTs, such as s3rver; never acknowledged, so never committed).
/// </summary>
public sealed class CompactionSweeper(BlockStore store, TimeProvider time)
{
    /// <param name="tenant">The tenant to sweep.</param>
    /// <param name="blocks">The tenant's committed blocks, as listed just before.</param>
    /// <param name="sourceGrace">How long replaced sources stay after their replacing block commits.</param>
    /// <param name="orphanGrace">How old an uncommitted block must be to count as abandoned; longer than any write takes.</param>
    /// <param name="cancellationToken">Stops the sweep between deletes.</param>
    public async Task<SweepResult> SweepAsync(string tenant, IReadOnlyCollection<BlockMeta> blocks, TimeSpan sourceGrace, TimeSpan orphanGrace, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var present = blocks.Select(b => b.BlockId).ToHashSet(StringComparer.Ordinal);
        var due = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var replacing in blocks.Where(b => b.Replaces.Count > 0 && b.CreatedAt <= now - sourceGrace))
        {
            due.UnionWith(replacing.Replaces.Where(present.Contains));
        }

        foreach (var id in due)
        {
            await store.DeleteAsync(tenant, id, cancellationToken);
        }

        var orphans = 0;
        await foreach (var id in store.ListOrphansAsync(tenant, now - orphanGrace, cancellationToken))
        {
            await store.DeleteAsync(tenant, id, cancellationToken);
            orphans++;
        }

        var listed = await store.ListBlockIdsAsync(tenant, null, cancellationToken).ToListAsync(cancellationToken);
        foreach (var id in listed.Where(id => !present.Contains(id) && BlockId.GetTime(id) < now - orphanGrace))
        {
            if (await HasTornMetaAsync(tenant, id, cancellationToken))
            {
                await store.DeleteAsync(tenant, id, cancellationToken);
                orphans++;
            }
        }

        return new SweepResult(due.Count, orphans);
    }

    private async Task<bool> HasTornMetaAsync(string tenant, string blockId, CancellationToken cancellationToken)
    {
        try
        {
            await store.ReadMetaAsync(tenant, blockId, cancellationToken);
            return false;
        }
        catch (InvalidDataException)
        {
            return true;
        }
    }
}
