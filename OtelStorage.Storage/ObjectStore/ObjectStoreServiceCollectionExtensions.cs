using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OtelStorage.Storage.ObjectStore;

public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IObjectStore"/> from the <c>Storage</c> section and the <c>objectstore</c> connection
    /// string, validates the options at start, and adds the <c>objectstore</c> readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ObjectStoreOptions>()
            .BindConfiguration(ObjectStoreOptions.SectionName)
            .Configure<IConfiguration>((o, config) => o.ApplyConnectionString(config.GetConnectionString(ObjectStoreOptions.ConnectionStringName)))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IObjectStore, S3ObjectStore>();
        builder.Services.AddHealthChecks().AddCheck<ObjectStoreHealthCheck>("objectstore", timeout: TimeSpan.FromSeconds(5));
        return builder;
    }
}
