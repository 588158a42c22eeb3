using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using RabbitMQ.Client;

namespace OtelStorage.Compaction;

public static class CompactionServiceCollectionExtensions
{
    /// <summary>
    /// Adds compaction and retention: options from the <c>Compaction</c> and <c>Retention</c> sections (validated
    /// at start), the <c>OtelStorage.Compaction</c> meter, and, unless <c>Compaction:Enabled</c> is false, the worker
    /// that consumes the compaction queue over the <c>messaging</c> connection string, with the health check of its
    /// broker session (<see cref="CompactionBrokerHealthCheck"/>). Needs a registered
    /// <see cref="BlockStore"/> (<c>AddObjectStore()</c>).
    /// </summary>
    public static IHostApplicationBuilder AddCompaction(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CompactionOptions>().BindConfiguration(CompactionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CompactionQueueOptions>().BindConfiguration(CompactionQueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CompactionTelemetry>();
        builder.Services.AddSingleton<CompactionJobRunner>();

        if (!builder.Configuration.GetValue($"{CompactionOptions.SectionName}:{nameof(CompactionOptions.Enabled)}", true))
        {
            return builder;
        }

        var connectionString = builder.Configuration.GetConnectionString("messaging");
        builder.Services.AddSingleton<CompactionConnector>(_ =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:messaging is not set: give the AMQP URI of the broker (amqp://user:password@host:5672/), or set Compaction:Enabled=false.");
            }

            // No automatic recovery: a recovered channel restarts delivery tags, and the worker must instead drop
            // its job (the broker redelivers it) and start a clean session.
            var factory = new ConnectionFactory
            {
                Uri = new Uri(connectionString),
                AutomaticRecoveryEnabled = false,
                TopologyRecoveryEnabled = false,
                ClientProvidedName = "compaction-" + Environment.MachineName,
            };
            return cancellationToken => factory.CreateConnectionAsync(cancellationToken);
        });
        builder.Services.AddSingleton<CompactionBrokerHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<CompactionBrokerHealthCheck>(CompactionBrokerHealthCheck.Name);
        builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<CompactionWorker>(sp));
        return builder;
    }
}
