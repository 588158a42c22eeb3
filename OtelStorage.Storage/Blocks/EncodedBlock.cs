namespace OtelStorage.Storage.Blocks;

/// <summary>A block encoded in memory, ready for <see cref="BlockStore.WriteAsync"/>.</summary>
public sealed record EncodedBlock(BlockMeta Meta, ReadOnlyMemory<byte> Data, ReadOnlyMemory<byte> Index);
