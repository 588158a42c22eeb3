using OtelStorage.Storage.Blocks;

namespace Query.Api.Blocks;

/// <summary>
/// An immutable snapshot of one tenant's committed blocks. Blocks named in another block's <c>replaces</c> list
/// (compaction sources) are hidden, so a query running while compaction commits sees each span once.
/// </summary>
public sealed class BlockSet
{
    public static readonly BlockSet Empty = new(new Dictionary<string, BlockMeta>(StringComparer.Ordinal));

    public BlockSet(IReadOnlyDictionary<string, BlockMeta> all)
    {
        All = all;
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var meta in all.Values)
        {
            replaced.UnionWith(meta.Replaces);
        }

        // Newest data first: searches stop early once older blocks cannot beat the results they hold.
        NewestFirst =
        [
            .. all.Values
                .Where(m => !replaced.Contains(m.BlockId))
                .OrderByDescending(m => m.MaxStartTimeUnixNano)
                .ThenByDescending(m => m.BlockId, StringComparer.Ordinal),
        ];
        ReplacedCount = all.Count - NewestFirst.Count;
    }

    /// <summary>Every committed block listed, replaced ones included, by ID.</summary>
    public IReadOnlyDictionary<string, BlockMeta> All { get; }

    /// <summary>The blocks queries read: not replaced, by latest span start descending, then block ID descending.</summary>
    public IReadOnlyList<BlockMeta> NewestFirst { get; }

    public int ReplacedCount { get; }

    /// <summary>Visible blocks that may hold spans starting in [start, end].</summary>
    public IEnumerable<BlockMeta> Overlapping(ulong startUnixNano, ulong endUnixNano) =>
        NewestFirst.Where(m => m.Overlaps(startUnixNano, endUnixNano));
}
