using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Blocklist;

/// <summary>
/// The in-memory list of each tenant's blocks (their meta.json), kept fresh by polling the object store.
/// A tenant is loaded in full on its first query, then polled (<see cref="BlocklistPoller"/>) with a listing that
/// starts near the newest known block ID (IDs are time-sortable), and listed in full every
/// <see cref="BlocklistOptions.BlockFullRefreshInterval"/> to drop deleted blocks. Memory is bounded by the number of
/// tenants and of blocks per tenant; idle tenants are dropped.
/// </summary>
public sealed partial class BlockCatalog(
    BlockStore store,
    IndexCache indexes,
    IOptions<BlocklistOptions> options,
    TimeProvider time,
    ILogger<BlockCatalog> logger)
{
    private readonly ConcurrentDictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);
    private readonly BlocklistOptions _options = options.Value;

    /// <summary>Tenants currently cached.</summary>
    public int TenantCount => _tenants.Count;

    /// <summary>The tenant's blocks, loading them on first use.</summary>
    public async Task<BlockSet> GetAsync(string tenant, CancellationToken cancellationToken)
    {
        var state = _tenants.GetOrAdd(tenant, static t => new TenantState(t));
        state.LastUsed = time.GetUtcNow();
        if (!state.Loaded)
        {
            await RefreshAsync(state, full: true, cancellationToken);
            EvictTenantsOverLimit();
        }

        return state.Blocks;
    }

    /// <summary>Polls every cached tenant now, dropping idle ones.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var state in _tenants.Values)
        {
            if (now - state.LastUsed > _options.TenantIdleTimeout)
            {
                _tenants.TryRemove(state.Tenant, out _);
                LogTenantDropped(state.Tenant);
                continue;
            }

            try
            {
                await RefreshAsync(state, full: now - state.LastFullRefresh >= _options.BlockFullRefreshInterval, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogPollFailed(e, state.Tenant);
            }
        }
    }

    private async Task RefreshAsync(TenantState state, bool full, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!full && !state.Loaded)
            {
                full = true;
            }
            else if (full && state.Loaded && time.GetUtcNow() - state.LastFullRefresh < _options.BlockPollInterval)
            {
                return; // Another caller just loaded it.
            }

            var current = state.Blocks.All;
            DateTimeOffset? listFrom = null;
            if (!full && current.Count > 0)
            {
                var newest = current.Keys.Max(StringComparer.Ordinal)!;
                listFrom = BlockId.GetTime(newest) - _options.BlockCommitGrace;
            }

            var listed = new List<string>();
            await foreach (var id in store.ListBlockIdsAsync(state.Tenant, listFrom, cancellationToken))
            {
                listed.Add(id);
            }

            // A cold tenant starts from its tenant index: one GET instead of one per block it holds.
            var indexed = state.Loaded ? null : await ReadTenantIndexAsync(state.Tenant, cancellationToken);
            var added = new ConcurrentBag<BlockMeta>(listed.Select(id => indexed?.GetValueOrDefault(id)).OfType<BlockMeta>().Where(m => !current.ContainsKey(m.BlockId)));
            var missing = listed.Where(id => !current.ContainsKey(id) && indexed?.ContainsKey(id) != true).ToList();
            await Parallel.ForEachAsync(
                missing,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentBlockReads, CancellationToken = cancellationToken },
                async (id, ct) =>
                {
                    try
                    {
                        if (await store.ReadMetaAsync(state.Tenant, id, ct) is { } meta)
                        {
                            added.Add(meta);
                        }
                    }
                    catch (InvalidDataException e)
                    {
                        // Not committed (an upload cut off midway): skipped, not fatal, or this one block would stop every
                        // later block of the tenant from becoming visible. Left out of the list, so it is read again on
                        // later polls in case a retried write completes it.
                        if (state.Unreadable.TryAdd(id, 0))
                        {
                            LogUnreadableMeta(state.Tenant, id, e.Message);
                        }
                    }
                });

            var present = listed.ToHashSet(StringComparer.Ordinal);
            var removed = full ? current.Keys.Count(id => !present.Contains(id)) : 0;

            if (added.IsEmpty && removed == 0 && state.Loaded)
            {
                if (full)
                {
                    state.LastFullRefresh = time.GetUtcNow();
                }

                return;
            }

            var next = new Dictionary<string, BlockMeta>(StringComparer.Ordinal);
            foreach (var (id, meta) in current)
            {
                if (!full || present.Contains(id))
                {
                    next[id] = meta;
                }
            }

            foreach (var meta in added)
            {
                next[meta.BlockId] = meta;
            }

            if (next.Count > _options.MaxBlocksPerTenant)
            {
                LogTooManyBlocks(state.Tenant, next.Count, _options.MaxBlocksPerTenant);
                foreach (var id in next.Keys.Order(StringComparer.Ordinal).Take(next.Count - _options.MaxBlocksPerTenant).ToList())
                {
                    next.Remove(id);
                }
            }

            state.Blocks = new BlockSet(next);
            state.Loaded = true;
            if (full)
            {
                state.LastFullRefresh = time.GetUtcNow();
            }

            LogRefreshed(state.Tenant, added.Count, removed, state.Blocks.NewestFirst.Count, full);
            indexes.Prefetch(added);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private async Task<Dictionary<string, BlockMeta>?> ReadTenantIndexAsync(string tenant, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.ReadTenantIndexAsync(tenant, cancellationToken))?.ById();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTenantIndexUnreadable(e, tenant);
            return null; // Only slower: every meta.json is read.
        }
    }

    private void EvictTenantsOverLimit()
    {
        while (_tenants.Count > _options.MaxTenants)
        {
            var oldest = _tenants.Values.MinBy(t => t.LastUsed);
            if (oldest is null || !_tenants.TryRemove(oldest.Tenant, out _))
            {
                return;
            }

            LogTenantDropped(oldest.Tenant);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Block list of tenant {Tenant}: {Added} added, {Removed} removed, {Visible} visible (full listing: {Full})")]
    private partial void LogRefreshed(string tenant, int added, int removed, int visible, bool full);

    [LoggerMessage(LogLevel.Warning, "Polling the block list of tenant {Tenant} failed; the previous list stays in use")]
    private partial void LogPollFailed(Exception exception, string tenant);

    [LoggerMessage(LogLevel.Warning, "Block {Tenant}/{BlockId} is skipped until its meta.json parses (an interrupted upload leaves a partial one on stores without atomic PUTs): {Error}")]
    private partial void LogUnreadableMeta(string tenant, string blockId, string error);

    [LoggerMessage(LogLevel.Warning, "The tenant index of {Tenant} could not be read; reading each block's meta.json instead")]
    private partial void LogTenantIndexUnreadable(Exception exception, string tenant);

    [LoggerMessage(LogLevel.Information, "Tenant {Tenant} dropped from the block list cache (idle or over MaxTenants)")]
    private partial void LogTenantDropped(string tenant);

    [LoggerMessage(LogLevel.Warning, "Tenant {Tenant} has {Blocks} blocks, over MaxBlocksPerTenant ({Max}); the oldest are not searched. Check that compaction runs.")]
    private partial void LogTooManyBlocks(string tenant, int blocks, int max);

    private sealed class TenantState(string tenant)
    {
        public string Tenant { get; } = tenant;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Blocks whose meta.json did not parse, so each is logged once.</summary>
        public ConcurrentDictionary<string, byte> Unreadable { get; } = new(StringComparer.Ordinal);

        public volatile BlockSet Blocks = BlockSet.Empty;

        public volatile bool Loaded;

        public DateTimeOffset LastUsed { get; set; }

        public DateTimeOffset LastFullRefresh { get; set; }
    }
}
