using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Blocklist;

/// <summary>
/// An immutable snapshot of one tenant's committed blocks. Only the blocks <see cref="BlockVisibility"/> makes
/// visible are read, so a query running while compaction commits sees each span once.
/// </summary>
public sealed class BlockSet
{
    public static readonly BlockSet Empty = new(new Dictionary<string, BlockMeta>(StringComparer.Ordinal));

    public BlockSet(IReadOnlyDictionary<string, BlockMeta> all)
    {
        All = all;
        // Newest data first: searches stop early once older blocks cannot beat the results they hold.
        NewestFirst =
        [
            .. BlockVisibility.Visible([.. all.Values])
                .OrderByDescending(m => m.MaxStartTimeUnixNano)
                .ThenByDescending(m => m.BlockId, StringComparer.Ordinal),
        ];
        ReplacedCount = all.Count - NewestFirst.Count;
    }

    /// <summary>Every committed block listed, replaced ones included, by ID.</summary>
    public IReadOnlyDictionary<string, BlockMeta> All { get; }

    /// <summary>The blocks queries read: not replaced, by latest span start descending, then block ID descending.</summary>
    public IReadOnlyList<BlockMeta> NewestFirst { get; }

    /// <summary>Listed blocks hidden because a committed block replaces them.</summary>
    public int ReplacedCount { get; }

    /// <summary>Visible blocks that may hold spans starting in [start, end].</summary>
    public IEnumerable<BlockMeta> Overlapping(ulong startUnixNano, ulong endUnixNano) =>
        NewestFirst.Where(m => m.Overlaps(startUnixNano, endUnixNano));
}
