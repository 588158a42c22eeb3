using OtelStorage.Storage.ObjectStore;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>Block format v1: Parquet data, a binary index object (bloom, row groups, footer) and meta.json.</summary>
public sealed class V1Encoding : IBlockEncoding
{
    public const string VersionName = "v1";

    public static V1Encoding Instance { get; } = new();

    private V1Encoding()
    {
    }

    public string Version => VersionName;

    public IBlockBuilder CreateBuilder(string tenant, BlockBuildOptions options) => new V1BlockBuilder(tenant, options);

    public IBlockReader CreateReader(IObjectStore store, BlockKeys keys) => new V1BlockReader(store, keys);
}
