using Ingest.Api.Options;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Ingest.Api.Apis;

/// <summary>
/// The CORS policy for browser exporters, built from <see cref="IngestCorsOptions"/>: POST from the configured
/// origins, any request header (exporters send custom ones), and Retry-After exposed so they can back off.
/// </summary>
public sealed class OtlpCorsPolicyProvider(IOptions<IngestCorsOptions> options) : ICorsPolicyProvider
{
    private readonly CorsPolicy? _policy = Build(options.Value);

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName) => Task.FromResult(_policy);

    private static CorsPolicy? Build(IngestCorsOptions options)
    {
        if (options.AllowedOrigins.Count == 0)
        {
            return null;
        }

        var builder = new CorsPolicyBuilder().WithMethods(HttpMethods.Post).AllowAnyHeader().WithExposedHeaders("Retry-After");
        if (options.AllowedOrigins.Contains("*"))
        {
            builder.AllowAnyOrigin();
        }
        else
        {
            builder.WithOrigins([.. options.AllowedOrigins]);
        }

        return builder.Build();
    }
}
