namespace OtelStorage.AppHost.Infrastructure;

/// <summary>How the AppHost provides RabbitMQ and the object store. Bound from the <c>Infrastructure</c> section.</summary>
public sealed class InfrastructureOptions
{
    public const string SectionName = "Infrastructure";

    public InfrastructureMode Mode { get; set; } = InfrastructureMode.Auto;

    /// <summary>Where Local mode keeps RabbitMQ's and s3rver's data, relative to the AppHost folder.</summary>
    public string DataPath { get; set; } = "../.data";

    /// <summary>
    /// Use the well-known ports (4317, 4318, 16686, 13133, 5672, 15672, 9000) so exporters work with their defaults.
    /// Tests turn it off and get free ports.
    /// </summary>
    public bool FixedPorts { get; set; } = true;

    /// <summary>How many Batcher.Worker replicas consume the span queue.</summary>
    public int BatcherReplicas { get; set; } = 1;

    /// <summary>
    /// How many Compactor.Worker replicas consume the compaction queue. One runs the jobs at a time (single active
    /// consumer); the others take over when its connection drops.
    /// </summary>
    public int CompactorReplicas { get; set; } = 1;

    /// <summary>The bucket created in Local and Containers mode.</summary>
    public string Bucket { get; set; } = "otelstorage";
}

public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, else Local.</summary>
    Auto,

    /// <summary>RabbitMQ and MinIO containers.</summary>
    Containers,

    /// <summary>Debian's rabbitmq-server and s3rver run as plain processes.</summary>
    Local,

    /// <summary>Connection strings to an existing RabbitMQ and S3 endpoint.</summary>
    External,
}
