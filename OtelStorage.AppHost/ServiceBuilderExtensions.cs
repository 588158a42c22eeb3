using OtelStorage.AppHost.Infrastructure;

namespace OtelStorage.AppHost;

public static class ServiceBuilderExtensions
{
    public const string IngestName = "ingest";
    public const string BatcherName = "batcher";
    public const string CompactorName = "compactor";
    public const string QueryName = "query";
    public const string HealthName = "health";

    /// <summary>
    /// Adds the five services, each wired to what it uses and started after it is healthy.
    /// The well-known ports (DESIGN.md) are bound directly, not through a proxy, so exporters reach Ingest.Api as
    /// they would in production; with <see cref="InfrastructureOptions.FixedPorts"/> off, every port is free-chosen.
    /// </summary>
    public static void AddOtelStorageServices(this IDistributedApplicationBuilder builder, Infrastructure.Infrastructure infrastructure, InfrastructureOptions options)
    {
        int? Port(int port) => options.FixedPorts ? port : null;

        var ingest = builder.AddProject<Projects.Ingest_Api>(IngestName)
            .WithEndpoint(name: "grpc", scheme: "http", port: Port(4317), env: "Otlp__GrpcPort", isProxied: false)
            .WithHttpEndpoint(name: "http", port: Port(4318), env: "Otlp__HttpPort", isProxied: false)
            .WithUses(infrastructure.Messaging, infrastructure)
            .WithHttpHealthCheck("/health");

        var batcher = builder.AddProject<Projects.Batcher_Worker>(BatcherName)
            .WithHttpEndpoint(name: "http", env: "Batcher__Port")
            .WithReplicas(options.BatcherReplicas)
            .WithNativeAllocatorLimits()
            .WithUses(infrastructure.Messaging, infrastructure)
            .WithUses(infrastructure.ObjectStore, infrastructure)
            .WithHttpHealthCheck("/health");

        // Compaction and retention in their own process: a compact job holds its new block's spans in memory, which
        // must not count against the Batcher's (docs/architecture.md, "Compaction in its own process").
        var compactor = builder.AddProject<Projects.Compactor_Worker>(CompactorName)
            .WithHttpEndpoint(name: "http", env: "Compactor__Port")
            .WithReplicas(options.CompactorReplicas)
            .WithNativeAllocatorLimits()
            .WithUses(infrastructure.Messaging, infrastructure)
            .WithUses(infrastructure.ObjectStore, infrastructure)
            .WithHttpHealthCheck("/health");

        var query = builder.AddProject<Projects.Query_Api>(QueryName)
            .WithHttpEndpoint(name: "http", port: Port(16686), env: "Query__Port", isProxied: false)
            .WithUses(infrastructure.ObjectStore, infrastructure)
            .WithHttpHealthCheck("/health");

        var health = builder.AddProject<Projects.Health_Api>(HealthName)
            .WithHttpEndpoint(name: "http", port: Port(13133), env: "Health__Port", isProxied: false)
            .WithUses(infrastructure.Messaging, infrastructure)
            .WithUses(infrastructure.ObjectStore, infrastructure)
            .WithReference(ingest)
            .WithReference(batcher)
            .WithReference(compactor)
            .WithReference(query)
            // Health.Api's /health is the pipeline's view (503 while RabbitMQ is down); the resource itself is healthy when it is ready.
            .WithHttpHealthCheck("/health/ready");

        // Local and Containers mode know the management endpoint; External mode leaves Health.Api to derive it
        // from the AMQP connection string (host, port 15672) or to read Health:RabbitMq:ManagementUrl.
        if (infrastructure.Messaging.Resource is IResourceWithEndpoints broker
            && broker.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == ManagementEndpointName))
        {
            health.WithEnvironment("Health__RabbitMq__ManagementUrl", broker.GetEndpoint(ManagementEndpointName));
        }
    }

    /// <summary>The RabbitMQ management endpoint's name, the same for the local process and the container.</summary>
    private const string ManagementEndpointName = "management";

    /// <summary>
    /// For the services that encode Parquet natively (ParquetSharp), two allocators that keep freed memory resident:
    /// glibc's, with an arena per contending thread, and Arrow's mimalloc pool, which returns freed pages only after
    /// a delay. Both limits keep the Batcher within its memory target (docs/PERFORMANCE.md).
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithNativeAllocatorLimits(this IResourceBuilder<ProjectResource> project) =>
        project
            .WithEnvironment("MALLOC_ARENA_MAX", "2")
            .WithEnvironment("MIMALLOC_PURGE_DELAY", "0");

    private static IResourceBuilder<ProjectResource> WithUses(
        this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<IResourceWithConnectionString> dependency,
        Infrastructure.Infrastructure infrastructure)
    {
        project.WithReference(dependency);
        return infrastructure.Managed ? project.WaitFor(dependency) : project;
    }
}
