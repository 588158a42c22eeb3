using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OtelStorage.Messaging.Connection;
using RabbitMQ.Client;

namespace OtelStorage.AppHost.Infrastructure;

/// <summary>The two infrastructure resources every mode provides, under the same names.</summary>
/// <param name="Messaging">The <c>messaging</c> resource (AMQP connection string).</param>
/// <param name="ObjectStore">The <c>objectstore</c> resource (S3 connection string).</param>
/// <param name="Managed">False in External mode, where the AppHost starts nothing and there is nothing to wait for.</param>
public sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Messaging,
    IResourceBuilder<IResourceWithConnectionString> ObjectStore,
    bool Managed);

public static class InfrastructureBuilderExtensions
{
    public const string MessagingName = "messaging";
    public const string ObjectStoreName = "objectstore";

    /// <summary>Adds RabbitMQ and the object store in the configured <see cref="InfrastructureMode"/>.</summary>
    public static Infrastructure AddInfrastructure(this IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var mode = options.Mode == InfrastructureMode.Auto
            ? (ContainerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local)
            : options.Mode;

        return mode switch
        {
            InfrastructureMode.Local => builder.AddLocalInfrastructure(options),
            InfrastructureMode.Containers => builder.AddContainerInfrastructure(options),
            InfrastructureMode.External => new Infrastructure(
                builder.AddConnectionString(MessagingName),
                builder.AddConnectionString(ObjectStoreName),
                Managed: false),
            _ => throw new InvalidOperationException($"Infrastructure:Mode '{options.Mode}' is not one of Auto, Containers, Local, External."),
        };
    }

    /// <summary>Resolves the mode Auto would pick, without adding anything.</summary>
    public static bool ContainerRuntimeAnswers()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, "info")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null)
                {
                    continue;
                }

                process.StandardOutput.ReadToEndAsync();
                process.StandardError.ReadToEndAsync();
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0)
                {
                    return true;
                }

                process.Kill();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }

        return false;
    }

    private static Infrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var dataPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, options.DataPath));
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

        var rabbitDir = Path.Combine(dataPath, "rabbitmq");
        Directory.CreateDirectory(rabbitDir);
        File.WriteAllText(Path.Combine(rabbitDir, "enabled_plugins"), "[rabbitmq_management].");
        // One node name per data folder: stable across `make run`s (the data is kept), distinct between test runs.
        var nodeName = $"otelstorage-{(uint)StringComparer.Ordinal.GetHashCode(rabbitDir) % 100000}@localhost";

        var epmd = builder.AddResource(new EpmdResource("epmd", rabbitDir))
            .WithEndpoint(name: EpmdResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                var resource = (EpmdResource)context.Resource;
                context.Args.Add("-address");
                context.Args.Add("127.0.0.1");
                context.Args.Add("-port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .WithLocalHealthCheck("epmd", (resource, ct) => EpmdAnswersAsync(resource.Endpoint.Port, ct));

        var rabbit = builder.AddResource(new LocalRabbitMqResource(MessagingName, rabbitDir))
            .WithEndpoint(name: LocalRabbitMqResource.AmqpEndpointName, scheme: "tcp", port: options.FixedPorts ? 5672 : null, env: "RABBITMQ_NODE_PORT", isProxied: false)
            .WithEndpoint(name: LocalRabbitMqResource.DistributionEndpointName, scheme: "tcp", env: "RABBITMQ_DIST_PORT", isProxied: false)
            .WithHttpEndpoint(name: LocalRabbitMqResource.ManagementEndpointName, port: options.FixedPorts ? 15672 : null, isProxied: false)
            .WithEnvironment("HOME", rabbitDir)
            .WithEnvironment("RABBITMQ_NODENAME", nodeName)
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(rabbitDir, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(rabbitDir, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(rabbitDir, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_FEATURE_FLAGS_FILE", Path.Combine(rabbitDir, "feature_flags"))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEnvironment(context =>
            {
                var resource = (LocalRabbitMqResource)context.Resource;
                context.EnvironmentVariables["ERL_EPMD_PORT"] = epmd.Resource.Endpoint.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = ReferenceExpression.Create(
                    $"-kernel inet_dist_use_interface {{127,0,0,1}} -rabbitmq_management listener [{{port,{resource.Management.Property(EndpointProperty.TargetPort)}}},{{ip,\"127.0.0.1\"}}]");
            })
            .WaitFor(epmd)
            .WithLocalHealthCheck("messaging", (resource, ct) => AmqpAnswersAsync(resource, ct));

        var s3rverScript = Path.Combine(repositoryRoot, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(s3rverScript))
        {
            throw new InvalidOperationException($"s3rver is not installed ({s3rverScript} is missing). Run 'make run', or 'npm ci' in {repositoryRoot}.");
        }

        var s3Dir = Path.Combine(dataPath, "s3rver");
        Directory.CreateDirectory(s3Dir);
        var s3 = builder.AddResource(new S3rverResource(ObjectStoreName, repositoryRoot, options.Bucket))
            .WithHttpEndpoint(name: S3rverResource.EndpointName, port: options.FixedPorts ? 9000 : null, isProxied: false)
            .WithArgs(context =>
            {
                var resource = (S3rverResource)context.Resource;
                foreach (var arg in new[] { s3rverScript, "-d", s3Dir, "-a", "127.0.0.1", "--configure-bucket", resource.Bucket, "--silent", "-p" })
                {
                    context.Args.Add(arg);
                }

                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
            })
            // Anonymous ListBuckets answers 200 once s3rver serves requests.
            .WithHttpHealthCheck("/");

        return new Infrastructure(rabbit, s3, Managed: true);
    }

    private static Infrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var rabbit = builder.AddRabbitMQ(MessagingName, port: options.FixedPorts ? 5672 : null)
            .WithManagementPlugin(port: options.FixedPorts ? 15672 : null)
            .WithDataVolume();

        var user = builder.AddParameter("objectstore-user", "otelstorage");
        var password = builder.AddParameter("objectstore-password", secret: true);
        var minio = builder.AddResource(new MinioResource(ObjectStoreName, user.Resource, password.Resource, options.Bucket))
            .WithImage("minio/minio", "RELEASE.2025-04-22T22-12-26Z")
            .WithArgs("server", "/data")
            .WithEnvironment("MINIO_ROOT_USER", user)
            .WithEnvironment("MINIO_ROOT_PASSWORD", password)
            .WithHttpEndpoint(name: MinioResource.EndpointName, port: options.FixedPorts ? 9000 : null, targetPort: 9000)
            .WithVolume("otelstorage-minio", "/data")
            .WithHttpHealthCheck("/minio/health/ready");

        // MinIO has no bucket until someone makes one: a one-shot mc container does, before any service starts.
        var bucket = builder.AddContainer("objectstore-bucket", "minio/mc", "RELEASE.2025-04-16T18-13-26Z")
            .WithEntrypoint("/bin/sh")
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add(ReferenceExpression.Create(
                    $"mc alias set local http://{ObjectStoreName}:9000 \"$MINIO_ROOT_USER\" \"$MINIO_ROOT_PASSWORD\" && mc mb --ignore-existing local/{options.Bucket}"));
            })
            .WithEnvironment("MINIO_ROOT_USER", user)
            .WithEnvironment("MINIO_ROOT_PASSWORD", password)
            .WaitFor(minio);
        minio.WithAnnotation(new WaitAnnotation(bucket.Resource, WaitType.WaitForCompletion));

        return new Infrastructure(rabbit.WithParentRelationship(rabbit.Resource), minio, Managed: true);
    }

    private static IResourceBuilder<T> WithLocalHealthCheck<T>(this IResourceBuilder<T> resource, string key, Func<T, CancellationToken, Task<HealthCheckResult>> check)
        where T : IResource
    {
        var name = key + "-check";
        resource.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(name, ct => check(resource.Resource, ct));
        return resource.WithHealthCheck(name);
    }

    /// <summary>Sends epmd a real NAMES request: a bare TCP connect makes it log errors.</summary>
    private static async Task<HealthCheckResult> EpmdAnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
            var reply = new byte[4];
            await stream.ReadExactlyAsync(reply, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is SocketException or IOException or EndOfStreamException)
        {
            return HealthCheckResult.Unhealthy("epmd does not answer: " + e.Message);
        }
    }

    private static readonly SemaphoreSlim ConnectionLock = new(1, 1);
    private static IConnection? _probeConnection;

    /// <summary>A real AMQP connection, kept open between checks so the broker's log is not flooded with connects.</summary>
    private static async Task<HealthCheckResult> AmqpAnswersAsync(LocalRabbitMqResource resource, CancellationToken cancellationToken)
    {
        await ConnectionLock.WaitAsync(cancellationToken);
        try
        {
            if (_probeConnection is { IsOpen: true })
            {
                return HealthCheckResult.Healthy();
            }

            var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var factory = BrokerConnectionFactory.Create(connectionString, "apphost-health", BrokerClientKind.Publisher);
            _probeConnection = await factory.CreateConnectionAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or SocketException)
        {
            return HealthCheckResult.Unhealthy("RabbitMQ does not accept AMQP connections: " + e.Message);
        }
        finally
        {
            ConnectionLock.Release();
        }
    }
}
