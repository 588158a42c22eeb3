namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Debian's rabbitmq-server run as a plain process, its data under one folder (Local mode).
/// Its connection string uses the IPv4 loopback address, because <c>localhost</c> may resolve to ::1 first.
/// </summary>
public sealed class LocalRabbitMqResource(string name, string dataDirectory)
    : ExecutableResource(name, "/usr/lib/rabbitmq/bin/rabbitmq-server", dataDirectory), IResourceWithConnectionString
{
    public const string AmqpEndpointName = "amqp";
    public const string ManagementEndpointName = "management";
    public const string DistributionEndpointName = "dist";

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference Amqp => new(this, AmqpEndpointName);

    public EndpointReference Management => new(this, ManagementEndpointName);

    // The guest account is accepted from loopback only, which is all Local mode listens on.
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://guest:guest@{Amqp.Property(EndpointProperty.IPV4Host)}:{Amqp.Property(EndpointProperty.Port)}/");
}

/// <summary>
/// epmd, the Erlang port mapper, run in the foreground so it stops with the AppHost.
/// (RabbitMQ would otherwise start it as a daemon that outlives the broker.)
/// </summary>
public sealed class EpmdResource(string name, string workingDirectory) : ExecutableResource(name, "epmd", workingDirectory)
{
    public const string EndpointName = "epmd";

    public EndpointReference Endpoint => new(this, EndpointName);
}

/// <summary>s3rver (npm, pinned in package.json) run by node, with its bucket created at start (Local mode).</summary>
public sealed class S3rverResource(string name, string workingDirectory, string bucket)
    : ExecutableResource(name, "node", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "http";

    /// <summary>s3rver checks signatures against this fixed key pair.</summary>
    public const string AccessKey = "S3RVER";

    public string Bucket { get; } = bucket;

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create(
            $"Endpoint=http://{Endpoint.Property(EndpointProperty.IPV4Host)}:{Endpoint.Property(EndpointProperty.Port)};AccessKey={AccessKey};SecretKey={AccessKey};Bucket={Bucket};Region=us-east-1;ForcePathStyle=true");
}

/// <summary>A MinIO container (Containers mode); its credentials are Aspire parameters.</summary>
public sealed class MinioResource(string name, ParameterResource user, ParameterResource password, string bucket)
    : ContainerResource(name), IResourceWithConnectionString
{
    public const string EndpointName = "http";

    public ParameterResource User { get; } = user;

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create(
            $"Endpoint={Endpoint.Property(EndpointProperty.Url)};AccessKey={User};SecretKey={Password};Bucket={bucket};Region=us-east-1;ForcePathStyle=true");
}
