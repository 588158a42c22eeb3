using System.Security.Cryptography;
using System.Text;
using Ingest.Api.Options;
using Microsoft.Extensions.Options;

namespace Ingest.Api.Ingest;

/// <summary>
/// Checks optional API keys. Keys are compared as SHA-256 digests with a fixed-time comparison against every
/// configured key, so neither the key's content nor its length leaks through timing.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    public const string ApiKeyHeader = "X-API-Key";

    private const string BearerPrefix = "Bearer ";

    private readonly byte[][] _keyDigests;

    public ApiKeyAuthenticator(IOptions<IngestAuthOptions> options) =>
        _keyDigests = [.. options.Value.ApiKeys.Where(k => k.Length > 0).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    public bool Enabled => _keyDigests.Length > 0;

    /// <summary>True when keys are off, or when one of the headers carries a configured key.</summary>
    public bool IsAuthorized(string? authorization, string? apiKey)
    {
        if (!Enabled)
        {
            return true;
        }

        var presented = apiKey;
        if (string.IsNullOrEmpty(presented) && authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization[BearerPrefix.Length..].Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        var match = false;
        foreach (var key in _keyDigests)
        {
            match |= CryptographicOperations.FixedTimeEquals(digest, key);
        }

        return match;
    }
}
