using System.Collections.Concurrent;
using Health.Api.Pipeline;
using OtelStorage.Storage.Blocks;

namespace Health.Api.Probes;

/// <summary>
/// <see cref="IBlockCatalog"/> over the <see cref="BlockStore"/>: one listing of committed blocks per poll, with
/// block times from their IDs. The newest block's meta.json is read only when it changes, for its latest span time.
/// </summary>
public sealed class BlockStoreCatalog(BlockStore store) : IBlockCatalog
{
    private readonly ConcurrentDictionary<string, (string BlockId, DateTimeOffset? SpanTime)> _newest = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<TenantBlocks>> ReadTenantsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var tenants = new Dictionary<string, (long Count, string Newest, int LastMinute)>(StringComparer.Ordinal);
        var minuteAgo = now.AddMinutes(-1);
        await foreach (var (tenant, blockId) in store.ListAllBlockIdsAsync(cancellationToken))
        {
            var recent = BlockId.GetTime(blockId) >= minuteAgo ? 1 : 0;
            tenants[tenant] = tenants.TryGetValue(tenant, out var t)
                ? (t.Count + 1, string.CompareOrdinal(blockId, t.Newest) > 0 ? blockId : t.Newest, t.LastMinute + recent)
                : (1, blockId, recent);
        }

        var result = new List<TenantBlocks>(tenants.Count);
        foreach (var (tenant, t) in tenants)
        {
            result.Add(new TenantBlocks(tenant, t.Count, BlockId.GetTime(t.Newest), await NewestSpanTimeAsync(tenant, t.Newest, cancellationToken), t.LastMinute));
        }

        return result;
    }

    private async Task<DateTimeOffset?> NewestSpanTimeAsync(string tenant, string blockId, CancellationToken cancellationToken)
    {
        if (_newest.TryGetValue(tenant, out var known) && known.BlockId == blockId)
        {
            return known.SpanTime;
        }

        var spanTime = MaxSpanTime(await ReadMetaOrNullAsync(tenant, blockId, cancellationToken));
        _newest[tenant] = (blockId, spanTime);
        return spanTime;
    }

    private async Task<BlockMeta?> ReadMetaOrNullAsync(string tenant, string blockId, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadMetaAsync(tenant, blockId, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return null; // A meta.json this version cannot read gives no freshness, rather than failing the whole check.
        }
    }

    /// <summary>The block's latest span end (or start, for a block without it).</summary>
    public static DateTimeOffset? MaxSpanTime(BlockMeta? meta) =>
        (meta?.MaxEndTimeUnixNano is > 0 ? meta.MaxEndTimeUnixNano : meta?.MaxStartTimeUnixNano) is { } nanos and > 0
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100))
            : null;
}
