using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;
using Query.Api.Apis;
using Query.Api.Options;

namespace Query.Api.Tenancy;

/// <summary>
/// Every query route is scoped to the tenant in <c>X-Scope-OrgID</c> (default <c>single-tenant</c>), and, when
/// <see cref="QueryOptions.ApiKeys"/> is set, needs a valid key. Health, readiness, echo and the OpenAPI document
/// are open, so probes and tooling work without credentials.
/// </summary>
public sealed class TenantMiddleware(RequestDelegate next, IOptions<QueryOptions> options)
{
    public const string TenantHeader = "X-Scope-OrgID";
    public const string ApiKeyHeader = "X-API-Key";
    private const string TenantItem = "otelstorage.tenant";

    // Keys are compared as SHA-256 digests with FixedTimeEquals: constant time, and no length leak.
    private readonly byte[][] _keyHashes = [.. options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsOpen(context.Request.Path))
        {
            await next(context);
            return;
        }

        if (_keyHashes.Length > 0 && !HasValidKey(context.Request))
        {
            await ErrorResults.Write(context, StatusCodes.Status401Unauthorized, $"a valid API key is required: send it as '{ApiKeyHeader}: <key>' or 'Authorization: Bearer <key>'");
            return;
        }

        var values = context.Request.Headers[TenantHeader];
        var tenant = values.Count == 0 || string.IsNullOrEmpty(values[0]) ? TenantId.Default : values[0]!;
        if (values.Count > 1 || !TenantId.IsValid(tenant))
        {
            await ErrorResults.Write(context, StatusCodes.Status400BadRequest, $"{TenantHeader} must be one tenant matching {TenantId.Pattern} (1 to 64 letters, digits, '_' or '-'), got '{values}'");
            return;
        }

        context.Items[TenantItem] = tenant;
        await next(context);
    }

    /// <summary>The tenant this request is scoped to.</summary>
    public static string GetTenant(HttpContext context) =>
        context.Items[TenantItem] as string ?? throw new InvalidOperationException("TenantMiddleware did not run for this route");

    private static bool IsOpen(PathString path) =>
        path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath)
        || path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath)
        || path.StartsWithSegments("/ready")
        || path.StartsWithSegments("/api/echo")
        || path.StartsWithSegments("/openapi");

    private bool HasValidKey(HttpRequest request)
    {
        string? presented = request.Headers[ApiKeyHeader].FirstOrDefault();
        if (presented is null && request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = auth["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var ok = false;
        foreach (var key in _keyHashes)
        {
            ok |= CryptographicOperations.FixedTimeEquals(hash, key);
        }

        return ok;
    }
}
