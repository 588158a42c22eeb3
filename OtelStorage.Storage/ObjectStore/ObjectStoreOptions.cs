using System.ComponentModel.DataAnnotations;
using System.Data.Common;

namespace OtelStorage.Storage.ObjectStore;

/// <summary>
/// Where blocks live. Bound from the <c>Storage</c> section; the <c>objectstore</c> connection string
/// (<c>Endpoint=...;AccessKey=...;SecretKey=...;Bucket=...;Region=...;ForcePathStyle=true</c>), which the AppHost
/// provides in every infrastructure mode, overrides the matching keys.
/// </summary>
public sealed class ObjectStoreOptions
{
    public const string SectionName = "Storage";
    public const string ConnectionStringName = "objectstore";

    /// <summary><c>s3</c> or <c>filesystem</c>.</summary>
    [Required, RegularExpression("^(s3|filesystem)$", ErrorMessage = "Storage:Kind must be 's3' or 'filesystem'.")]
    public string Kind { get; set; } = "s3";

    /// <summary>The S3 endpoint (ServiceURL). Empty means AWS S3 in <see cref="Region"/>.</summary>
    public string? Endpoint { get; set; }

    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ErrorMessage = "Storage:Bucket must be a valid S3 bucket name.")]
    public string Bucket { get; set; } = "otelstorage";

    /// <summary>A key prefix under which all tenants' blocks live.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]{0,64}$", ErrorMessage = "Storage:Prefix may hold only letters, digits, '_', '.' and '-'.")]
    public string Prefix { get; set; } = "blocks";

    [Required]
    public string Region { get; set; } = "us-east-1";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Path-style addressing, needed by MinIO and s3rver.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>The folder for the filesystem store.</summary>
    public string Path { get; set; } = ".data/objects";

    /// <summary>Applies a connection string of <c>Key=Value;...</c> pairs over these options.</summary>
    public void ApplyConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }

        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? Get(string key) => parts.TryGetValue(key, out var value) ? value?.ToString() : null;
        Endpoint = Get("Endpoint") ?? Endpoint;
        Bucket = Get("Bucket") ?? Bucket;
        Region = Get("Region") ?? Region;
        AccessKey = Get("AccessKey") ?? AccessKey;
        SecretKey = Get("SecretKey") ?? SecretKey;
        if (Get("ForcePathStyle") is { } pathStyle)
        {
            ForcePathStyle = bool.Parse(pathStyle);
        }
    }
}
