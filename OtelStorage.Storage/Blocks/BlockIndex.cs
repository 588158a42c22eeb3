namespace OtelStorage.Storage.Blocks;

/// <summary>
/// What a reader needs of a block before it reads the block's data, read once per block by
/// <see cref="IBlockReader.ReadIndexAsync"/> and cached by the caller. Callers ask only whether a trace may be in the
/// block and how much memory the index holds; what else it holds, and how it is stored, belong to the block's format,
/// and only a reader of that format looks further.
/// </summary>
public abstract class BlockIndex
{
    /// <summary>Approximate memory held, for bounded caches.</summary>
    public abstract long ApproximateBytes { get; }

    /// <summary>False when the block certainly lacks the trace; true means "probably".</summary>
    public abstract bool MayContain(ReadOnlySpan<byte> traceId);
}
