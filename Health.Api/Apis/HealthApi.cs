using Health.Api.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Health.Api.Apis;

public static class HealthApi
{
    /// <summary>Health.Api's own readiness path, which the AppHost's health check uses; <c>/health</c> is the pipeline's view.</summary>
    public const string ReadinessPath = "/health/ready";

    /// <summary>
    /// <c>GET /health</c>, the pipeline's view (200 when Healthy or Degraded, 503 when Unhealthy, so a load balancer
    /// can use it), and <c>GET /health/history</c>, its figures over the history window.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/health");

        api.MapGet("/", GetHealth)
            .WithName("GetPipelineHealth")
            .WithSummary("The whole pipeline's status, each component's last check, the reasons and the pipeline figures.");

        api.MapGet("/history", GetHistory)
            .WithName("GetPipelineHealthHistory")
            .WithSummary("The status and figures of every poll in the history window, oldest first.");

        return app;
    }

    public static Results<Ok<HealthReport>, JsonHttpResult<HealthReport>, ProblemHttpResult> GetHealth(HealthState state)
    {
        if (state.Latest is not { } report)
        {
            return TypedResults.Problem("The first poll has not finished yet; try again in a few seconds.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Starting");
        }

        return report.Status == PipelineStatus.Unhealthy
            ? TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(report);
    }

    public static Ok<HistoryResponse> GetHistory(HealthState state) => TypedResults.Ok(new HistoryResponse(state.History(), state.Latest));
}

/// <summary>The body of <c>GET /health/history</c>.</summary>
/// <param name="Points">One per poll, oldest first.</param>
/// <param name="Latest">
/// The newest full report, as <c>/health</c> gives it, so the chart page needs one request that always answers 200.
/// </param>
public sealed record HistoryResponse(IReadOnlyList<HistoryPoint> Points, HealthReport? Latest);
