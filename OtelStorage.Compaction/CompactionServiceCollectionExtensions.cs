using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OtelStorage.Compaction.Retention;
using OtelStorage.Messaging;
using OtelStorage.Messaging.Connection;
using OtelStorage.Storage.Blocks;

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

        var connectionString = builder.Configuration.GetConnectionString(BrokerConnectionFactory.ConnectionStringName);
        builder.Services.AddSingleton<CompactionBrokerHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<CompactionBrokerHealthCheck>(CompactionBrokerHealthCheck.Name);
        builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<CompactionWorker>(sp, Connector(connectionString)));
        return builder;
    }

    private static BrokerConnector Connector(string? connectionString)
    {
        try
        {
            return BrokerConnectionFactory.CreateConnector(connectionString, "compaction-" + Environment.MachineName, BrokerClientKind.Consumer);
        }
        catch (InvalidOperationException e) when (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(e.Message + $" Or set {CompactionOptions.SectionName}:{nameof(CompactionOptions.Enabled)}=false to run without compaction.", e);
        }
    }
}
