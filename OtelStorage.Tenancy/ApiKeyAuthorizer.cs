using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace OtelStorage.Tenancy;

/// <summary>What <see cref="ApiKeyAuthorizer.Authorize"/> decided.</summary>
public enum ApiKeyDecision
{
    /// <summary>Keys are off, or the key is valid for the tenant.</summary>
    Allowed,

    /// <summary>No key, or not a configured one: 401 / UNAUTHENTICATED.</summary>
    Unauthenticated,

    /// <summary>A valid key that is not bound to the requested tenant: 403 / PERMISSION_DENIED.</summary>
    Forbidden,
}

/// <summary>
/// Checks optional API keys, each bound to a set of tenants (or to all). The presented key is hashed with SHA-256 and
/// compared with every configured key's digest by a fixed-time comparison, without stopping at a match, so neither a
/// key's content nor its length leaks through timing. Keys are held only as digests.
/// </summary>
public sealed class ApiKeyAuthorizer
{
    public const string ApiKeyHeader = "X-API-Key";

    private const string BearerPrefix = "Bearer ";

    private readonly (byte[] Digest, FrozenSet<string>? Tenants)[] _keys;

    public ApiKeyAuthorizer(IEnumerable<ApiKeyOptions> keys) =>
        _keys = [.. keys.Select(k => (SHA256.HashData(Encoding.UTF8.GetBytes(k.Key)), k.Tenants.Count == 0 ? null : k.Tenants.ToFrozenSet(StringComparer.Ordinal)))];

    /// <summary>False when no key is configured: every request is allowed.</summary>
    public bool Enabled => _keys.Length > 0;

    /// <summary>Decides for a request's <c>Authorization</c> and <c>X-API-Key</c> headers and its (valid) tenant.</summary>
    public ApiKeyDecision Authorize(string? authorization, string? apiKey, string tenant)
    {
        if (!Enabled)
        {
            return ApiKeyDecision.Allowed;
        }

        var presented = !string.IsNullOrEmpty(apiKey) ? apiKey
            : authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? authorization[BearerPrefix.Length..].Trim()
            : null;
        if (string.IsNullOrEmpty(presented))
        {
            return ApiKeyDecision.Unauthenticated;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        var known = false;
        var allowed = false;
        foreach (var (keyDigest, tenants) in _keys)
        {
            var match = CryptographicOperations.FixedTimeEquals(digest, keyDigest);
            known |= match;
            allowed |= match && (tenants is null || tenants.Contains(tenant));
        }

        return allowed ? ApiKeyDecision.Allowed : known ? ApiKeyDecision.Forbidden : ApiKeyDecision.Unauthenticated;
    }

    /// <summary>The message that goes with a refusal; it names the headers, never the key.</summary>
    public static string Explain(ApiKeyDecision decision, string tenant) => decision switch
    {
        ApiKeyDecision.Unauthenticated => $"a valid API key is required: send it as '{ApiKeyHeader}: <key>' or 'Authorization: Bearer <key>'",
        ApiKeyDecision.Forbidden => $"this API key is not allowed to use tenant '{tenant}' ({TenantId.HeaderName})",
        _ => string.Empty,
    };
}
