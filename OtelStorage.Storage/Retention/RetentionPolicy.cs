using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Retention;

/// <summary>How long blocks are kept: one period for all tenants, and overrides per tenant.</summary>
public sealed record RetentionPolicy(TimeSpan Period, IReadOnlyDictionary<string, TimeSpan> TenantPeriods)
{
    public TimeSpan PeriodFor(string tenant) => TenantPeriods.TryGetValue(tenant, out var p) ? p : Period;

    /// <summary>
    /// When the block's newest data is from: its latest span start, but never later than the block's creation
    /// (its ID), so spans stamped in the future cannot keep a block forever.
    /// </summary>
    public static DateTimeOffset DataTime(BlockMeta meta)
    {
        var created = BlockId.GetTime(meta.BlockId);
        var latestStart = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(meta.MaxStartTimeUnixNano / 1_000_000UL, (ulong)long.MaxValue / 2));
        return latestStart < created ? latestStart : created;
    }

    /// <summary>True when the whole block is past the tenant's retention period.</summary>
    public bool IsExpired(BlockMeta meta, DateTimeOffset now) => DataTime(meta) < now - PeriodFor(meta.Tenant);
}

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
