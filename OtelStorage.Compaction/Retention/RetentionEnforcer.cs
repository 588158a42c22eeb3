using OtelStorage.Storage.Blocks;

namespace OtelStorage.Compaction.Retention;

/// <summary>
/// Deletes whole blocks past their retention period. Oldest block IDs go first, so a compaction source is
/// deleted before the block that replaces it, and a crash in between never makes a source visible again.
/// </summary>
public sealed class RetentionEnforcer(BlockStore store, TimeProvider time)
{
    /// <returns>The IDs of the blocks deleted.</returns>
    public async Task<IReadOnlyList<string>> ApplyAsync(string tenant, IReadOnlyCollection<BlockMeta> blocks, RetentionPolicy policy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expired = blocks.Where(b => policy.IsExpired(b, now)).Select(b => b.BlockId).Order(StringComparer.Ordinal).ToList();
        foreach (var id in expired)
        {
            await store.DeleteAsync(tenant, id, cancellationToken);
        }

        return expired;
    }
}
