using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Blocklist;

/// <summary>
/// Block indexes (bloom filter, row-group table, Parquet footer) by block, least recently used evicted beyond
/// <see cref="BlocklistOptions.IndexCacheMegabytes"/>. Indexes are immutable, so entries never go stale; a warm cache
/// makes a trace lookup cost only its data reads. New blocks are prefetched as the catalog discovers them.
/// </summary>
public sealed partial class IndexCache(BlockStore store, IOptions<BlocklistOptions> options, IHostApplicationLifetime lifetime, ILogger<IndexCache> logger)
{
    private readonly CancellationToken _stopping = lifetime.ApplicationStopping;
    private readonly long _capacityBytes = options.Value.IndexCacheMegabytes * 1024L * 1024L;
    private readonly int _prefetchConcurrency = Math.Max(1, options.Value.MaxConcurrentBlockReads / 2);
    private readonly ConcurrentDictionary<string, Lazy<Task<BlockIndex>>> _loading = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<(string Key, BlockIndex Index)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, BlockIndex Index)> _lru = new();
    private readonly Lock _lock = new();
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>The cached index of the block, without reading anything.</summary>
    public bool TryGet(BlockMeta meta, out BlockIndex index) => TryGet(meta.Tenant + "/" + meta.BlockId, out index);

    public async Task<BlockIndex> GetAsync(BlockMeta meta, CancellationToken cancellationToken)
    {
        var key = meta.Tenant + "/" + meta.BlockId;
        if (TryGet(key, out var cached))
        {
            return cached;
        }

        // One read per block however many requests want it at once; the read is not tied to one caller's token.
        var load = _loading.GetOrAdd(key, k => new Lazy<Task<BlockIndex>>(() => LoadAsync(k, meta)));
        return await load.Value.WaitAsync(cancellationToken);
    }

    private bool TryGet(string key, out BlockIndex index)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                index = node.Value.Index;
                return true;
            }
        }

        index = null!;
        return false;
    }

    /// <summary>Starts loading the indexes of new blocks in the background, newest first.</summary>
    public void Prefetch(IEnumerable<BlockMeta> blocks)
    {
        var list = blocks.OrderByDescending(b => b.MaxStartTimeUnixNano).ToList();
        if (list.Count == 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var failed = 0;
            Exception? first = null;
            try
            {
                await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = _prefetchConcurrency, CancellationToken = _stopping }, async (meta, ct) =>
                {
                    try
                    {
                        await GetAsync(meta, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One block (deleted by compaction since it was listed, a store error) must not stop the rest.
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref first, e, null);
                    }
                });
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return; // Shutting down.
            }

            if (first is not null && !_stopping.IsCancellationRequested)
            {
                LogPrefetchFailed(first, failed, list.Count);
            }
        });
    }

    private async Task<BlockIndex> LoadAsync(string key, BlockMeta meta)
    {
        try
        {
            var index = await store.ReadIndexAsync(meta, CancellationToken.None);
            Add(key, index);
            return index;
        }
        finally
        {
            _loading.TryRemove(key, out _);
        }
    }

    private void Add(string key, BlockIndex index)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(key))
            {
                return;
            }

            _entries[key] = _lru.AddFirst((key, index));
            _bytes += index.ApproximateBytes;
            while (_bytes > _capacityBytes && _lru.Last is { } last && last != _lru.First)
            {
                _lru.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Index.ApproximateBytes;
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Prefetching the indexes of {Failed} of {Blocks} new blocks failed; they load on first use")]
    private partial void LogPrefetchFailed(Exception exception, int failed, int blocks);
}
