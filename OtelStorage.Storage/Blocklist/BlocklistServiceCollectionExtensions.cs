using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OtelStorage.Storage.Blocklist;

public static class BlocklistServiceCollectionExtensions
{
    /// <summary>
    /// The block list of a reader: <see cref="BlockCatalog"/>, its <see cref="BlocklistPoller"/> and the
    /// <see cref="IndexCache"/>, with <see cref="BlocklistOptions"/> bound from <paramref name="configSection"/>.
    /// The caller registers the <see cref="Blocks.BlockStore"/> they read through.
    /// </summary>
    public static IServiceCollection AddBlocklist(this IServiceCollection services, string configSection)
    {
        services.AddOptions<BlocklistOptions>()
            .BindConfiguration(configSection)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IndexCache>();
        services.AddSingleton<BlockCatalog>();
        services.AddHostedService<BlocklistPoller>();
        return services;
    }
}
