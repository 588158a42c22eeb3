using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging.Connection;
using OtelStorage.Messaging.Publishing;

namespace OtelStorage.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the publishing end of the span queue: the <c>Messaging</c> and <c>Messaging:Publisher</c> options
    /// (validated at start), a <see cref="SpanPublisher"/> over the <c>messaging</c> connection string whose
    /// connection the broker lists as <paramref name="clientName"/>, a hosted service that connects it at start, and
    /// the <c>messaging</c> health check, Unhealthy while it is disconnected.
    /// </summary>
    public static IHostApplicationBuilder AddSpanPublisher(this IHostApplicationBuilder builder, string clientName)
    {
        var services = builder.Services;
        services.AddOptions<SpanQueueOptions>().BindConfiguration(SpanQueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SpanPublisherOptions>().BindConfiguration(SpanPublisherOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        var connectionString = builder.Configuration.GetConnectionString(BrokerConnectionFactory.ConnectionStringName);
        services.AddSingleton(sp => new SpanPublisher(
            BrokerConnectionFactory.Create(connectionString, clientName, BrokerClientKind.Publisher),
            sp.GetRequiredService<IOptions<SpanQueueOptions>>(),
            sp.GetRequiredService<IOptions<SpanPublisherOptions>>(),
            sp.GetRequiredService<ILogger<SpanPublisher>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<SpanPublisherStartup>();
        services.AddHealthChecks().AddCheck<SpanPublisherHealthCheck>(BrokerConnectionFactory.ConnectionStringName);
        return builder;
    }

    /// <summary>
    /// Adds a consuming end of the span queue: the <c>Messaging</c> options (validated at start) and the hosted
    /// service <typeparamref name="TConsumer"/>, constructed with a <see cref="BrokerConnector"/> that opens consumer
    /// connections (<see cref="BrokerClientKind.Consumer"/>) over the <c>messaging</c> connection string, named by
    /// <paramref name="clientName"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSpanConsumer<TConsumer>(this IHostApplicationBuilder builder, Func<IServiceProvider, string> clientName)
        where TConsumer : class, IHostedService
    {
        builder.Services.AddOptions<SpanQueueOptions>().BindConfiguration(SpanQueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        var connectionString = builder.Configuration.GetConnectionString(BrokerConnectionFactory.ConnectionStringName);
        builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<TConsumer>(
            sp, BrokerConnectionFactory.CreateConnector(connectionString, clientName(sp), BrokerClientKind.Consumer)));
        return builder;
    }
}
