using System.Buffers;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// Process-wide pools of a few arrays per size, shared by every thread, for the per-span arrays of building a block
/// (rows, sort keys, metadata facts). <see cref="ArrayPool{T}.Shared"/> would keep one per thread and up to 32 per
/// core of each size: these arrays hold one element per span of a block, tens of MiB, and flushes run on any
/// thread-pool thread, so it would hold hundreds of MiB (docs/PERFORMANCE.md).
/// </summary>
internal static class V1ArrayPools
{
    private const int PooledArraysPerSize = 3;
    private const int PooledMaxLength = 1 << 23;

    public static ArrayPool<T> Create<T>() => ArrayPool<T>.Create(PooledMaxLength, PooledArraysPerSize);
}
