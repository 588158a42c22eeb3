using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;

namespace OtelStorage.Compaction;

/// <summary>One compaction job: merge <see cref="Sources"/> (block IDs of one tenant, oldest first) into one block.</summary>
public sealed record CompactionGroup(string Tenant, IReadOnlyList<string> Sources, long Spans, long Bytes);

/// <summary>A tenant's plan: the jobs, and the small visible blocks waiting (the backlog).</summary>
public sealed record CompactionPlan(string Tenant, IReadOnlyList<CompactionGroup> Groups, int OutstandingBlocks);

/// <summary>
/// Chooses which blocks to merge. Only visible blocks (not already replaced) that are small and old enough are
/// candidates; they are grouped by the time window of their earliest span and packed, oldest block ID first, until
/// the next block would pass a target. Pure: the same listing gives the same plan.
/// </summary>
public static class CompactionPlanner
{
    public static CompactionPlan Plan(string tenant, IReadOnlyCollection<BlockMeta> blocks, CompactionPolicy policy, DateTimeOffset now)
    {
        var smallSpans = (long)(policy.TargetSpans * policy.SmallFraction);
        var smallBytes = (long)(policy.TargetBytes * policy.SmallFraction);
        var smallSpanBytes = (long)(policy.TargetSpanBytes * policy.SmallFraction);
        var candidates = BlockVisibility.Visible(blocks)
            .Where(m => m.SpanCount < smallSpans && m.SizeBytes < smallBytes && SpanBytes(m) < smallSpanBytes)
            .ToList();

        var windowNanos = (ulong)Math.Max(1, policy.Window.Ticks) * 100UL;
        var groups = new List<CompactionGroup>();
        var ripe = candidates.Where(m => BlockId.GetTime(m.BlockId) <= now - policy.MinBlockAge);
        foreach (var window in ripe.GroupBy(m => m.MinStartTimeUnixNano / windowNanos).OrderBy(w => w.Key))
        {
            var current = new List<BlockMeta>();
            long spans = 0, bytes = 0, spanBytes = 0;
            foreach (var meta in window.OrderBy(m => m.BlockId, StringComparer.Ordinal))
            {
                if (current.Count > 0
                    && (spans + meta.SpanCount > policy.TargetSpans || bytes + meta.SizeBytes > policy.TargetBytes
                        || spanBytes + SpanBytes(meta) > policy.TargetSpanBytes || current.Count >= policy.MaxSources))
                {
                    Emit();
                }

                current.Add(meta);
                spans += meta.SpanCount;
                bytes += meta.SizeBytes;
                spanBytes += SpanBytes(meta);
            }

            Emit();

            void Emit()
            {
                if (current.Count >= Math.Max(2, policy.MinSources))
                {
                    groups.Add(new CompactionGroup(tenant, [.. current.Select(m => m.BlockId)], spans, bytes));
                }

                current = [];
                spans = bytes = spanBytes = 0;
            }
        }

        return new CompactionPlan(tenant, groups, candidates.Count);
    }

    private static long SpanBytes(BlockMeta meta) => meta.SpanBytes > 0 ? meta.SpanBytes : meta.SizeBytes;
}
