using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OtelStorage.Compaction;

/// <summary>
/// Readiness of the compaction worker's own broker session, registered as <see cref="Name"/>. Until the worker's first
/// connection attempt has finished it reports Healthy, described as starting: a state that resolves itself is not an
/// error. After that it is Unhealthy (the registration's failure status) whenever the worker has no session, naming
/// the last failure, and Healthy again once the worker consumes.
/// </summary>
public sealed class CompactionBrokerHealthCheck : IHealthCheck
{
    /// <summary>The check's name in <c>/health</c>, the name Ingest.Api gives its broker check.</summary>
    public const string Name = "messaging";

    // Null while starting; replaced whole, so a check never sees half of an update.
    private volatile SessionState? _state;

    /// <summary>The worker declared the queue and consumes from it.</summary>
    public void SessionStarted() => _state = new SessionState(null);

    /// <summary>The worker could not connect, or lost its connection; it reconnects with backoff.</summary>
    public void SessionFailed(Exception failure) => _state = new SessionState(failure);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_state switch
        {
            null => HealthCheckResult.Healthy("starting: the first connection to RabbitMQ is being opened"),
            { Failure: null } => HealthCheckResult.Healthy("consuming the compaction queue"),
            { Failure: { } e } => new HealthCheckResult(context.Registration.FailureStatus, "no RabbitMQ session; reconnecting: " + e.Message, e),
        });

    private sealed record SessionState(Exception? Failure);
}
