using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;

namespace OtelStorage.Storage.ObjectStore;

public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IObjectStore"/> (S3 or filesystem, by <c>Storage:Kind</c>) from the <c>Storage</c> section
    /// and the <c>objectstore</c> connection string, and <see cref="BlockStore"/> over it; validates the options at
    /// start, and adds the <c>objectstore</c> readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ObjectStoreOptions>()
            .BindConfiguration(ObjectStoreOptions.SectionName)
            .Configure<IConfiguration>((o, config) => o.ApplyConnectionString(config.GetConnectionString(ObjectStoreOptions.ConnectionStringName)))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IObjectStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ObjectStoreOptions>>();
            return options.Value.Kind == "filesystem" ? new FileSystemObjectStore(options) : new S3ObjectStore(options);
        });
        builder.Services.AddSingleton<BlockStore>();
        builder.Services.AddHealthChecks().AddCheck<ObjectStoreHealthCheck>("objectstore", timeout: TimeSpan.FromSeconds(5));
        return builder;
    }
}
