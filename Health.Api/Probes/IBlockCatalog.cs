using Health.Api.Pipeline;

namespace Health.Api.Probes;

/// <summary>What Health.Api needs to know about the blocks in the object store, per tenant.</summary>
public interface IBlockCatalog
{
    /// <summary>Each tenant's block count, newest block time and newest span time, as of <paramref name="now"/>.</summary>
    Task<IReadOnlyList<TenantBlocks>> ReadTenantsAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
