using OtelStorage.Tenancy;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// The one place object keys are built: <c>{prefix}/{tenant}/{blockId}/{name}</c>. Tenant and block ID are
/// validated here, so no caller can build a key outside its tenant's prefix.
/// </summary>
public sealed class BlockKeys
{
    /// <summary>The commit point: a block exists for readers once this object does.</summary>
    public const string MetaName = "meta.json";

    public const string DataName = "data.parquet";

    /// <summary>Bloom filter, row-group table and a copy of the Parquet footer.</summary>
    public const string IndexName = "index.bin";

    private readonly string _root;

    public BlockKeys(string? prefix)
    {
        var p = (prefix ?? string.Empty).Trim('/');
        if (p.Contains("..", StringComparison.Ordinal) || p.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"storage prefix must be a single path segment, got '{prefix}'", nameof(prefix));
        }

        _root = p.Length == 0 ? string.Empty : p + "/";
    }

    /// <summary>The prefix under which every tenant lives, ending in '/' unless empty.</summary>
    public string Root => _root;

    public string Tenant(string tenant) => _root + TenantId.Validate(tenant) + "/";

    public string Block(string tenant, string blockId) => Tenant(tenant) + BlockId.Validate(blockId) + "/";

    public string ObjectKey(string tenant, string blockId, string name) => Block(tenant, blockId) + name;

    public string Meta(string tenant, string blockId) => ObjectKey(tenant, blockId, MetaName);

    public string Data(string tenant, string blockId) => ObjectKey(tenant, blockId, DataName);

    public string Index(string tenant, string blockId) => ObjectKey(tenant, blockId, IndexName);

    /// <summary>The tenant's <see cref="TenantIndex"/>; not under a block, so block listings pass it by.</summary>
    public string TenantIndex(string tenant) => Tenant(tenant) + Blocks.TenantIndex.ObjectName;

    /// <summary>Splits a key under <see cref="Tenant"/> into block ID and object name, or returns false.</summary>
    public bool TryParse(string tenant, string key, out string blockId, out string name)
    {
        blockId = name = string.Empty;
        var tenantPrefix = Tenant(tenant);
        return key.StartsWith(tenantPrefix, StringComparison.Ordinal) && TryParseBlock(key.AsSpan(tenantPrefix.Length), out blockId, out name);
    }

    /// <summary>Splits a key under <see cref="Root"/> into tenant, block ID and object name, or returns false.</summary>
    public bool TryParse(string key, out string tenant, out string blockId, out string name)
    {
        tenant = blockId = name = string.Empty;
        if (!key.StartsWith(_root, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = key.AsSpan(_root.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !TenantId.IsValid(rest[..slash].ToString()) || !TryParseBlock(rest[(slash + 1)..], out blockId, out name))
        {
            return false;
        }

        tenant = rest[..slash].ToString();
        return true;
    }

    private static bool TryParseBlock(ReadOnlySpan<char> rest, out string blockId, out string name)
    {
        blockId = name = string.Empty;
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !BlockId.IsValid(rest[..slash].ToString()))
        {
            return false;
        }

        blockId = rest[..slash].ToString();
        name = rest[(slash + 1)..].ToString();
        return name.Length > 0;
    }
}
