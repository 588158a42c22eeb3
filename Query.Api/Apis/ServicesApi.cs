using Microsoft.AspNetCore.Http.HttpResults;
using Query.Api.Formats;
using Query.Api.Reading;

namespace Query.Api.Apis;

/// <summary>An optional window over block time bounds (RFC 3339 or Unix nanoseconds); all blocks when absent.</summary>
public sealed record WindowParameters(string? Start, string? End);

/// <summary>Services, operations and dependencies, from block metadata only.</summary>
public static class ServicesApi
{
    public static IEndpointRouteBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/").WithTags("Services").WithNativeParameterErrors();
        api.MapGet("/services", GetServices)
            .WithName("GetServices")
            .WithSummary("Services with request, error and latency statistics, from block metadata (no span scan)");
        api.MapGet("/services/{service}/operations", GetOperations)
            .WithName("GetOperations")
            .WithSummary("A service's operations by name and span kind, with statistics, from block metadata");
        api.MapGet("/dependencies", GetDependencies)
            .WithName("GetDependencies")
            .WithSummary("Service dependency edges (parent service to child service) with call and error counts, from block metadata");
        return app;
    }

    public static async Task<Ok<ServicesResponse>> GetServices(
        [AsParameters] WindowParameters window, [AsParameters] QueryServices services)
    {
        var (start, end) = Window(window);
        return TypedResults.Ok(new ServicesResponse(await services.Metadata.ServicesAsync(services.Tenant, start, end, services.Aborted)));
    }

    public static async Task<Ok<OperationsResponse>> GetOperations(
        string service, [AsParameters] WindowParameters window, [AsParameters] QueryServices services)
    {
        var (start, end) = Window(window);
        return TypedResults.Ok(new OperationsResponse(service, await services.Metadata.OperationsAsync(services.Tenant, service, start, end, services.Aborted)));
    }

    public static async Task<Ok<DependenciesResponse>> GetDependencies(
        [AsParameters] WindowParameters window, [AsParameters] QueryServices services)
    {
        var (start, end) = Window(window);
        return TypedResults.Ok(new DependenciesResponse(await services.Metadata.DependenciesAsync(services.Tenant, start, end, services.Aborted)));
    }

    private static (ulong Start, ulong End) Window(WindowParameters w)
    {
        var start = string.IsNullOrEmpty(w.Start) ? 0 : QueryParsing.Time(w.Start, "start");
        var end = string.IsNullOrEmpty(w.End) ? ulong.MaxValue : QueryParsing.Time(w.End, "end");
        return start > end ? throw new QueryParameterException("start must not be after end") : (start, end);
    }
}
