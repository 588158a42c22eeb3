using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Where a byte string sits in a <see cref="SpanArena"/>. The default slice is empty.</summary>
internal readonly record struct Slice(int Chunk, int Offset, int Length);

/// <summary>
/// The bytes of a block's spans (IDs, the rest of each span, resources, scopes and strings), copied out of the
/// requests into large chunks on the pinned object heap. Rows then hold no references, so the GC has nothing to
/// trace in them, and the Parquet writer reads every value where it lies, through its address. Chunks go back to a
/// process-wide pool once the block is encoded (<see cref="Release"/>): pinned chunks are freed only by a full GC,
/// so without the pool a busy batcher's memory would grow by every block's worth of garbage until one ran.
/// </summary>
internal sealed class SpanArena
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Chunks kept for reuse: about three 64 MiB batches (one open, two being flushed).</summary>
    private const int PooledChunksMax = 192;

    private static readonly ConcurrentBag<byte[]> Pool = [];
    private static int _pooled;

    private readonly List<byte[]> _chunks = [];
    private byte[] _current = [];
    private int _used;

    /// <summary>Bytes held, in whole chunks.</summary>
    public long CapacityBytes { get; private set; }

    public Slice Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return default;
        }

        if (bytes.Length > _current.Length - _used)
        {
            // A value larger than a chunk gets a chunk of its own, which is not pooled.
            _current = bytes.Length <= ChunkBytes ? Rent() : GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
            _chunks.Add(_current);
            CapacityBytes += _current.Length;
            _used = 0;
        }

        bytes.CopyTo(_current.AsSpan(_used));
        var slice = new Slice(_chunks.Count - 1, _used, bytes.Length);
        _used += bytes.Length;
        return slice;
    }

    public ReadOnlySpan<byte> Span(Slice slice) =>
        slice.Length == 0 ? default : _chunks[slice.Chunk].AsSpan(slice.Offset, slice.Length);

    public ReadOnlyMemory<byte> Memory(Slice slice) =>
        slice.Length == 0 ? default : _chunks[slice.Chunk].AsMemory(slice.Offset, slice.Length);

    /// <summary>The address of a slice's first byte; stable, because chunks are pinned. Empty slices point at a pinned byte.</summary>
    public unsafe nint Address(Slice slice) =>
        (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slice.Length == 0 ? Empty : _chunks[slice.Chunk])) + slice.Offset;

    /// <summary>Returns the chunks to the pool. Every slice and address handed out is invalid afterwards.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks)
        {
            if (chunk.Length == ChunkBytes && Interlocked.Increment(ref _pooled) <= PooledChunksMax)
            {
                Pool.Add(chunk);
            }
            else if (chunk.Length == ChunkBytes)
            {
                Interlocked.Decrement(ref _pooled);
            }
        }

        _chunks.Clear();
        _current = [];
        _used = 0;
        CapacityBytes = 0;
    }

    private static byte[] Rent()
    {
        if (Pool.TryTake(out var chunk))
        {
            Interlocked.Decrement(ref _pooled);
            return chunk;
        }

        return GC.AllocateUninitializedArray<byte>(ChunkBytes, pinned: true);
    }

    private static readonly byte[] Empty = GC.AllocateArray<byte>(1, pinned: true);
}
