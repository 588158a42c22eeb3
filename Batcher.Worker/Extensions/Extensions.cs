using Batcher.Worker.Batching;
using OtelStorage.Messaging;
using OtelStorage.Storage.ObjectStore;
using RabbitMQ.Client;

namespace Batcher.Worker.Extensions;

public static class Extensions
{
    /// <summary>The batcher's services: broker connection, object store, options and the span consumer.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Aspire's client gives the broker health check and client tracing; the consumer opens its own connection
        // without automatic recovery, because recovered channels restart delivery tags and the consumer must drop
        // its open batches instead (their messages are redelivered).
        builder.AddRabbitMQClient("messaging");
        builder.AddObjectStore();

        builder.Services.AddOptions<BatcherOptions>()
            .BindConfiguration(BatcherOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<SpanQueueOptions>()
            .BindConfiguration(SpanQueueOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.Configure<HostOptions>(host =>
            host.ShutdownTimeout = TimeSpan.FromMilliseconds(builder.Configuration.GetValue($"{BatcherOptions.SectionName}:shutdown_timeout_ms", 30_000) + 5_000));

        var connectionString = builder.Configuration.GetConnectionString("messaging");
        builder.Services.AddSingleton<BrokerConnector>(sp =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:messaging is not set: give the AMQP URI of the broker (amqp://user:password@host:5672/).");
            }

            var replica = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<BatcherOptions>>().Value.ReplicaId;
            var factory = new ConnectionFactory
            {
                Uri = new Uri(connectionString),
                AutomaticRecoveryEnabled = false,
                TopologyRecoveryEnabled = false,
                ClientProvidedName = "batcher-" + replica,
            };
            return cancellationToken => factory.CreateConnectionAsync(cancellationToken);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BatcherTelemetry>();
        builder.Services.AddHostedService<SpanBatchConsumer>();
        return builder;
    }
}
