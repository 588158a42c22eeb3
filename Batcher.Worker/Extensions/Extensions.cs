using Batcher.Worker.Batching;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging;
using OtelStorage.Storage.ObjectStore;

namespace Batcher.Worker.Extensions;

public static class Extensions
{
    /// <summary>The batcher's services: broker connection, object store, options and the span consumer.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Aspire's client gives the broker health check and client tracing; the consumer opens its own connections
        // (AddSpanConsumer), without automatic recovery.
        builder.AddRabbitMQClient("messaging");
        builder.AddObjectStore();

        builder.Services.AddOptions<BatcherOptions>()
            .BindConfiguration(BatcherOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.Configure<HostOptions>(host =>
            host.ShutdownTimeout = TimeSpan.FromMilliseconds(builder.Configuration.GetValue($"{BatcherOptions.SectionName}:shutdown_timeout_ms", 30_000) + 5_000));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BatcherTelemetry>();
        builder.AddSpanConsumer<SpanBatchConsumer>(sp => "batcher-" + sp.GetRequiredService<IOptions<BatcherOptions>>().Value.ReplicaId);
        return builder;
    }
}
