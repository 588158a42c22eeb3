namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Where one row group of a block's data object lies, which trace IDs and start times it holds, and which promoted
/// columns do not hold their first key's value for some span (<see cref="InexactColumns"/>).
/// </summary>
internal sealed record RowGroupRange(
    long Offset,
    int Length,
    int Rows,
    UInt128 MinTraceId,
    UInt128 MaxTraceId,
    ulong MinStartTimeUnixNano,
    ulong MaxStartTimeUnixNano,
    InexactColumns Inexact = InexactColumns.All)
{
    public bool MayContainTrace(UInt128 traceId) => traceId >= MinTraceId && traceId <= MaxTraceId;
}
