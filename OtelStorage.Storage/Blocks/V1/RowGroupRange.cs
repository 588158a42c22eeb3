namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Where one row group of a block's data object lies, and which trace IDs and start times it holds.</summary>
internal sealed record RowGroupRange(
    long Offset,
    int Length,
    int Rows,
    UInt128 MinTraceId,
    UInt128 MaxTraceId,
    ulong MinStartTimeUnixNano,
    ulong MaxStartTimeUnixNano)
{
    public bool MayContainTrace(UInt128 traceId) => traceId >= MinTraceId && traceId <= MaxTraceId;
}
