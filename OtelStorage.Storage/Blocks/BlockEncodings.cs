namespace OtelStorage.Storage.Blocks;

/// <summary>The switch from a meta.json <c>formatVersion</c> to its encoding, so v2 can sit beside v1.</summary>
public static class BlockEncodings
{
    /// <summary>The version new blocks are written in.</summary>
    public static IBlockEncoding Current => V1.V1Encoding.Instance;

    public static IBlockEncoding FromVersion(string version) => version switch
    {
        V1.V1Encoding.VersionName => V1.V1Encoding.Instance,
        _ => throw new NotSupportedException($"block format '{version}' is not supported by this build (supported: {V1.V1Encoding.VersionName})"),
    };
}
