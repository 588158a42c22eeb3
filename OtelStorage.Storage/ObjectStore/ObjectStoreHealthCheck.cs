using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OtelStorage.Storage.ObjectStore;

/// <summary>Healthy when the bucket answers a one-key listing within the check's timeout.</summary>
public sealed class ObjectStoreHealthCheck(IObjectStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "object store unreachable: " + e.Message, e);
        }
    }
}
