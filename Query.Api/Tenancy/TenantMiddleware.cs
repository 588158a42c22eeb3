using Microsoft.Extensions.Options;
using OtelStorage.Tenancy;
using Query.Api.Apis;
using Query.Api.Options;

namespace Query.Api.Tenancy;

/// <summary>
/// Every query route is scoped to the tenant in <c>X-Scope-OrgID</c> (default <c>single-tenant</c>), and, when
/// <see cref="QueryOptions.ApiKeys"/> is set, needs a key valid for that tenant: 401 without a valid key, 403 for a
/// key bound to other tenants. Health, readiness, echo and the OpenAPI document are open, so probes and tooling work
/// without credentials.
/// </summary>
public sealed class TenantMiddleware(RequestDelegate next, IOptions<QueryOptions> options)
{
    private const string TenantItem = "otelstorage.tenant";

    private readonly ApiKeyAuthorizer _authorizer = new(options.Value.ApiKeys);

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsOpen(context.Request.Path))
        {
            await next(context);
            return;
        }

        var values = context.Request.Headers[TenantId.HeaderName];
        if (values.Count > 1)
        {
            await ErrorResults.Write(context, StatusCodes.Status400BadRequest, $"{TenantId.HeaderName} must name one tenant, got {values.Count} headers");
            return;
        }

        if (!TenantId.TryResolve(values.FirstOrDefault(), out var tenant, out var error))
        {
            await ErrorResults.Write(context, StatusCodes.Status400BadRequest, error!);
            return;
        }

        var access = _authorizer.Authorize(context.Request.Headers.Authorization, context.Request.Headers[ApiKeyAuthorizer.ApiKeyHeader], tenant);
        if (access != ApiKeyDecision.Allowed)
        {
            var status = access == ApiKeyDecision.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
            await ErrorResults.Write(context, status, ApiKeyAuthorizer.Explain(access, tenant));
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
}
