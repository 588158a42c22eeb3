using System.ComponentModel.DataAnnotations;

namespace OtelStorage.Storage.Blocklist;

/// <summary>
/// The block list cache of a reader: how often it polls, how many tenants and blocks it keeps, and its index cache.
/// Bound from the reader's own section (Query.Api's is <c>Query</c>) and validated at start.
/// </summary>
public sealed class BlocklistOptions
{
    /// <summary>How often each active tenant's block list is polled for new blocks. Freshness is this plus one listing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "BlockPollInterval must be between 50 ms and 10 minutes.")]
    public TimeSpan BlockPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each tenant's whole block list is read again, to drop blocks deleted by retention or compaction.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "BlockFullRefreshInterval must be between 1 s and 1 day.")]
    public TimeSpan BlockFullRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Block IDs are cut when a batch starts, but meta.json is written when the upload ends: an incremental poll
    /// lists from this far before the newest known block, so slow uploads are not missed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "BlockCommitGrace must be between 0 and 1 day.")]
    public TimeSpan BlockCommitGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Tenants whose block lists are kept; the least recently queried is dropped beyond this.</summary>
    [Range(1, 100_000)]
    public int MaxTenants { get; set; } = 1000;

    /// <summary>Blocks kept per tenant; beyond it the oldest are not searched (compaction keeps counts low).</summary>
    [Range(1, 10_000_000)]
    public int MaxBlocksPerTenant { get; set; } = 200_000;

    /// <summary>A tenant not queried for this long stops being polled and its list is freed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ErrorMessage = "TenantIdleTimeout must be between 1 s and 30 days.")]
    public TimeSpan TenantIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Memory for cached block indexes (bloom filters, row-group tables, footers), in MiB.</summary>
    [Range(1, 1_048_576)]
    public int IndexCacheMegabytes { get; set; } = 512;

    /// <summary>Blocks read at once by one request (meta.json and index loads, trace lookups and searches).</summary>
    [Range(1, 256)]
    public int MaxConcurrentBlockReads { get; set; } = 16;
}
