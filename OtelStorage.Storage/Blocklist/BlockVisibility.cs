using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.Blocklist;

/// <summary>
/// Which committed blocks readers use: every block not named in another committed block's <c>replaces</c>.
/// A compacted block commits before its sources are deleted, so from its commit on a reader sees each span once.
/// </summary>
public static class BlockVisibility
{
    /// <summary>The IDs named in any block's <c>replaces</c>.</summary>
    public static HashSet<string> ReplacedIds(IEnumerable<BlockMeta> blocks)
    {
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var meta in blocks)
        {
            replaced.UnionWith(meta.Replaces);
        }

        return replaced;
    }

    /// <summary>The blocks readers use, in the order given.</summary>
    public static List<BlockMeta> Visible(IReadOnlyCollection<BlockMeta> blocks)
    {
        var replaced = ReplacedIds(blocks);
        return [.. blocks.Where(m => !replaced.Contains(m.BlockId))];
    }
}
