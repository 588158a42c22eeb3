using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using Query.Api.Options;
using Query.Api.Reading;
using Query.Api.Telemetry;

namespace Query.Api.Extensions;

public static class Extensions
{
    /// <summary>Query.Api's services: options, the object store, the block list, readers, telemetry and OpenAPI.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionPeriodOptions>()
            .BindConfiguration(RetentionPeriodOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<QueryOptions>()
            .BindConfiguration(QueryOptions.SectionName)
            .Configure<IConfiguration, IOptions<RetentionPeriodOptions>>((o, configuration, retention) =>
            {
                if (configuration.GetSection($"{QueryOptions.SectionName}:{nameof(QueryOptions.MaxSearchRange)}").Value is null)
                {
                    o.MaxSearchRange = retention.Value.LongestPeriod > o.DefaultSearchRange ? retention.Value.LongestPeriod : o.DefaultSearchRange;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddObjectStore();
        builder.Services.AddSingleton<QueryTelemetry>();
        builder.Services.AddSingleton(TimeProvider.System);

        // Reads go through a counting decorator: telemetry, and the per-request numbers Tempo's search reports.
        builder.Services.AddSingleton(sp => new BlockStore(
            new MeteredObjectStore(sp.GetRequiredService<IObjectStore>(), sp.GetRequiredService<QueryTelemetry>()),
            sp.GetRequiredService<IOptions<ObjectStoreOptions>>()));
        builder.Services.AddBlocklist(QueryOptions.SectionName);
        builder.Services.AddSingleton<TraceReader>();
        builder.Services.AddSingleton<SpanSearcher>();
        builder.Services.AddSingleton<MetadataReader>();

        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);

        var port = builder.Configuration.GetServerPort($"{QueryOptions.SectionName}:{nameof(QueryOptions.Port)}", 16686);
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Listen(builder.Configuration, port, HttpProtocols.Http1AndHttp2));
        return builder;
    }
}
