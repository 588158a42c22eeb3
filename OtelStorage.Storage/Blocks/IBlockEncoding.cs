using OtelStorage.Storage.ObjectStore;

namespace OtelStorage.Storage.Blocks;

/// <summary>One on-store format version: how to build its blocks and how to read them.</summary>
public interface IBlockEncoding
{
    string Version { get; }

    IBlockBuilder CreateBuilder(string tenant, BlockBuildOptions options);

    IBlockReader CreateReader(IObjectStore store, BlockKeys keys);
}
