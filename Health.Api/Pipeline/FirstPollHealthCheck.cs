using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Health.Api.Pipeline;

/// <summary>Health.Api's own readiness: Healthy once the first poll has produced a report.</summary>
public sealed class FirstPollHealthCheck(HealthState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Latest is null ? HealthCheckResult.Unhealthy("waiting for the first poll") : HealthCheckResult.Healthy());
}
