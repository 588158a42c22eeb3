using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Retention;

/// <summary>How long blocks are kept: one period for all tenants, and overrides per tenant.</summary>
public sealed record RetentionPolicy(TimeSpan Period, IReadOnlyDictionary<string, TimeSpan> TenantPeriods)
{
    public TimeSpan PeriodFor(string tenant) => TenantPeriods.TryGetValue(tenant, out var p) ? p : Period;

    /// <summary>
    /// How far before its write a block's spans may claim to be and still start its retention period from their
    /// own time. Like Tempo's ingestion slack: older claims (a client clock at zero, a backfill) count from the
    /// write time minus this, so every acknowledged span is kept for at least the period less the slack.
    /// </summary>
    public static readonly TimeSpan IngestionSlack = TimeSpan.FromHours(1);

    /// <summary>
    /// When the block's retention period starts: <see cref="BlockMeta.RetainFrom"/>, or for blocks without it the
    /// <see cref="StartFor">rule</see> applied to the block ID's time.
    /// </summary>
    public static DateTimeOffset DataTime(BlockMeta meta) => meta.RetainFrom ?? StartFor(meta.MaxStartTimeUnixNano, BlockId.GetTime(meta.BlockId));

    /// <summary>
    /// The retention start of spans written at <paramref name="written"/> whose newest start is
    /// <paramref name="maxStartUnixNano"/>: that start, but never later than the write (a future clock cannot keep
    /// a block forever) nor earlier than the write less <see cref="IngestionSlack"/> (a stale clock cannot expire
    /// spans on arrival).
    /// </summary>
    public static DateTimeOffset StartFor(ulong maxStartUnixNano, DateTimeOffset written)
    {
        var latestStart = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(maxStartUnixNano / 1_000_000UL, (ulong)long.MaxValue / 2));
        var earliest = written - IngestionSlack;
        return latestStart < earliest ? earliest : latestStart > written ? written : latestStart;
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
