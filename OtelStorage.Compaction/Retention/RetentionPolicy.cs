using OtelStorage.Storage.Blocks;

namespace OtelStorage.Compaction.Retention;

/// <summary>How long blocks are kept: one period for all tenants, and overrides per tenant.</summary>
public sealed record RetentionPolicy(TimeSpan Period, IReadOnlyDictionary<string, TimeSpan> TenantPeriods)
{
    public TimeSpan PeriodFor(string tenant) => TenantPeriods.TryGetValue(tenant, out var p) ? p : Period;

    /// <summary>True when the whole block is past the tenant's retention period, counted from <see cref="RetentionStart.Of"/>.</summary>
    public bool IsExpired(BlockMeta meta, DateTimeOffset now) => RetentionStart.Of(meta) < now - PeriodFor(meta.Tenant);
}
