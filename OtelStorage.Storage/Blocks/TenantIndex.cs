using System.IO.Compression;
using System.Text.Json;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Every committed block's meta.json of one tenant in one gzipped object, <c>{tenant}/index.json.gz</c>, like Tempo's
/// tenant index. Compaction's plan writes it; a reader starting cold reads it and then only the meta.json of blocks
/// committed since, one GET instead of one per block. It is a cache of immutable objects, never the truth: the
/// listing decides which blocks exist, so a stale index costs reads, not correctness.
/// </summary>
public sealed class TenantIndex
{
    public const string ObjectName = "index.json.gz";

    public DateTimeOffset CreatedAt { get; set; }

    public List<BlockMeta> Blocks { get; set; } = [];

    /// <summary>The blocks by ID.</summary>
    public Dictionary<string, BlockMeta> ById()
    {
        var byId = new Dictionary<string, BlockMeta>(StringComparer.Ordinal);
        foreach (var block in Blocks)
        {
            byId.TryAdd(block.BlockId, block);
        }

        return byId;
    }

    public byte[] ToGzippedJson()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            JsonSerializer.Serialize(gzip, this, BlockMeta.JsonOptions);
        }

        return buffer.ToArray();
    }

    /// <summary>The index, or null when the bytes are not a whole one (a cut-off upload on a store without atomic PUTs).</summary>
    public static TenantIndex? FromGzippedJson(byte[] bytes)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            return JsonSerializer.Deserialize<TenantIndex>(gzip, BlockMeta.JsonOptions);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or EndOfStreamException)
        {
            return null;
        }
    }
}
