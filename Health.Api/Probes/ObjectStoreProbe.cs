using Health.Api.Options;
using Health.Api.Pipeline;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.ObjectStore;

namespace Health.Api.Probes;

/// <summary>Checks that the bucket answers (the latency is that of a one-key listing), then reads the blocks per tenant.</summary>
public sealed class ObjectStoreProbe(IObjectStore store, IBlockCatalog catalog, IOptions<HealthOptions> options)
{
    public async Task<StoreObservation> ProbeAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.CheckTimeout;
        var (check, _) = await Timed.RunAsync(timeout, async ct =>
        {
            await store.CheckAsync(ct);
            return true;
        }, cancellationToken);
        if (!check.Ok)
        {
            return new StoreObservation(check, []);
        }

        var (listing, tenants) = await Timed.RunAsync(timeout, ct => catalog.ReadTenantsAsync(check.CheckedAt, ct), cancellationToken);
        return listing.Ok
            ? new StoreObservation(check, tenants!)
            : new StoreObservation(check with { Ok = false, Error = "listing blocks failed: " + listing.Error }, []);
    }
}
