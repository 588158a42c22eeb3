namespace OtelStorage.Storage.Blocks;

/// <summary>
/// When a block's retention period starts. Writers stamp it into <see cref="BlockMeta.RetainFrom"/> and retention
/// reads it back, so the rule lives with the block format rather than with either of them.
/// </summary>
public static class RetentionStart
{
    /// <summary>
    /// How far before its write a block's spans may claim to be and still start its retention period from their
    /// own time. Like Tempo's ingestion slack: older claims (a client clock at zero, a backfill) count from the
    /// write time minus this, so every acknowledged span is kept for at least the period less the slack.
    /// </summary>
    public static readonly TimeSpan IngestionSlack = TimeSpan.FromHours(1);

    /// <summary>
    /// The block's retention start: <see cref="BlockMeta.RetainFrom"/>, or for blocks without it the
    /// <see cref="For">rule</see> applied to the block ID's time.
    /// </summary>
    public static DateTimeOffset Of(BlockMeta meta) => meta.RetainFrom ?? For(meta.MaxStartTimeUnixNano, BlockId.GetTime(meta.BlockId));

    /// <summary>
    /// The retention start of spans written at <paramref name="written"/> whose newest start is
    /// <paramref name="maxStartUnixNano"/>: that start, but never later than the write (a future clock cannot keep
    /// a block forever) nor earlier than the write less <see cref="IngestionSlack"/> (a stale clock cannot expire
    /// spans on arrival).
    /// </summary>
    public static DateTimeOffset For(ulong maxStartUnixNano, DateTimeOffset written)
    {
        var latestStart = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(maxStartUnixNano / 1_000_000UL, (ulong)long.MaxValue / 2));
        var earliest = written - IngestionSlack;
        return latestStart < earliest ? earliest : latestStart > written ? written : latestStart;
    }
}
