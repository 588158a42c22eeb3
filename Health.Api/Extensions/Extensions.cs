using System.Text.Json.Serialization;
using Health.Api.Options;
using Health.Api.Pipeline;
using Health.Api.Probes;
using OtelStorage.Messaging;
using OtelStorage.Messaging.Connection;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;

namespace Health.Api.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>()
            .BindConfiguration(HealthOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RulesOptions>()
            .BindConfiguration(RulesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RabbitMqManagementOptions>()
            .BindConfiguration(RabbitMqManagementOptions.SectionName)
            .Configure<IConfiguration>((o, config) => o.ApplyConnectionString(config.GetConnectionString(BrokerConnectionFactory.ConnectionStringName)))
            .Validate(o => o.ManagementUrl is not null && Uri.TryCreate(o.ManagementUrl, UriKind.Absolute, out _),
                "Health:RabbitMq:ManagementUrl must be an absolute URL; set it, or ConnectionStrings:messaging to derive it from.")
            .ValidateOnStart();
        builder.Services.AddOptions<SpanQueueOptions>()
            .BindConfiguration(SpanQueueOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddObjectStore();

        // A failed probe is the answer, so these clients neither retry nor wait out the resilience pipeline's timeouts.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental; it is the documented way to opt out of the defaults.
        builder.Services.AddHttpClient(ServiceProbe.HttpClientName).RemoveAllResilienceHandlers();
        builder.Services.AddHttpClient(RabbitMqProbe.HttpClientName).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        builder.Services.AddSingleton<ServiceProbe>();
        builder.Services.AddSingleton<RabbitMqProbe>();
        builder.Services.AddSingleton<BlockStore>();
        builder.Services.AddSingleton<IBlockCatalog, BlockStoreCatalog>();
        builder.Services.AddSingleton<ObjectStoreProbe>();
        builder.Services.AddSingleton<HealthState>();
        builder.Services.AddSingleton<HealthMetrics>();
        builder.Services.AddHostedService<HealthPoller>();
        // Ready once there is a report to serve, so nothing that waits for readiness then reads "Starting".
        builder.Services.AddHealthChecks().AddCheck<FirstPollHealthCheck>("first-poll");

        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return builder;
    }
}
