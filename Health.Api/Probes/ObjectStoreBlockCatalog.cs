using System.Collections.Concurrent;
using System.Text.Json;
using Health.Api.Pipeline;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.ObjectStore;

namespace Health.Api.Probes;

/// <summary>
/// <see cref="IBlockCatalog"/> over an <see cref="IObjectStore"/> listing of <c>{prefix}/{tenant}/{blockId}/meta.json</c>.
/// A block exists once its meta.json does (the commit point), so only those keys count. Each poll lists the prefix;
/// the newest block's meta.json is read only when it changes, for its latest span time.
/// </summary>
public sealed class ObjectStoreBlockCatalog(IObjectStore store, IOptions<ObjectStoreOptions> options) : IBlockCatalog
{
    private const string MetaName = "meta.json";

    private readonly ConcurrentDictionary<string, (string Key, DateTimeOffset? SpanTime)> _newestMeta = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<TenantBlocks>> ReadTenantsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var root = options.Value.Prefix.Trim('/') is { Length: > 0 } prefix ? prefix + "/" : string.Empty;
        var tenants = new Dictionary<string, (long Count, ObjectInfo Newest, int LastMinute)>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(root, null, cancellationToken))
        {
            var parts = o.Key[root.Length..].Split('/');
            if (parts is not [var tenant, _, MetaName])
            {
                continue;
            }

            var recent = o.LastModified >= now.AddMinutes(-1) ? 1 : 0;
            tenants[tenant] = tenants.TryGetValue(tenant, out var t)
                ? (t.Count + 1, o.LastModified > t.Newest.LastModified ? o : t.Newest, t.LastMinute + recent)
                : (1, o, recent);
        }

        var result = new List<TenantBlocks>(tenants.Count);
        foreach (var (tenant, t) in tenants)
        {
            result.Add(new TenantBlocks(tenant, t.Count, t.Newest.LastModified, await NewestSpanTimeAsync(tenant, t.Newest.Key, cancellationToken), t.LastMinute));
        }

        return result;
    }

    private async Task<DateTimeOffset?> NewestSpanTimeAsync(string tenant, string metaKey, CancellationToken cancellationToken)
    {
        if (_newestMeta.TryGetValue(tenant, out var known) && known.Key == metaKey)
        {
            return known.SpanTime;
        }

        var spanTime = await store.ReadAsync(metaKey, cancellationToken) is { } json ? MaxSpanTime(json) : null;
        _newestMeta[tenant] = (metaKey, spanTime);
        return spanTime;
    }

    /// <summary>The block's latest span end (or start, for a meta.json without it), from Unix nanoseconds.</summary>
    public static DateTimeOffset? MaxSpanTime(ReadOnlySpan<byte> metaJson)
    {
        try
        {
            var reader = new Utf8JsonReader(metaJson);
            using var document = JsonDocument.ParseValue(ref reader);
            foreach (var name in new[] { "maxEndTimeUnixNano", "maxStartTimeUnixNano" })
            {
                if (document.RootElement.TryGetProperty(name, out var value) && value.TryGetUInt64(out var nanos) && nanos > 0)
                {
                    return DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));
                }
            }
        }
        catch (JsonException)
        {
            // A meta.json this version cannot read gives no freshness, rather than failing the whole check.
        }

        return null;
    }
}
