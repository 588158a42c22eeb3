using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace OtelStorage.AppHost.Tests;

/// <summary>Tests of the application model: resources, references, ports and modes. Nothing is started.</summary>
public sealed class AppHostModelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LocalModeDefinesRabbitMqS3rverAndTheFiveServices()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local");

        var names = builder.Resources.Select(r => r.Name).ToHashSet();

        Assert.Superset(new HashSet<string> { "epmd", "messaging", "objectstore", "ingest", "batcher", "compactor", "query", "health" }, names);
        Assert.IsType<LocalRabbitMqResource>(builder.Resources.Single(r => r.Name == "messaging"));
        Assert.IsType<S3rverResource>(builder.Resources.Single(r => r.Name == "objectstore"));
    }

    [Fact]
    public async Task ExternalModeStartsNoInfrastructureAndReadsConnectionStrings()
    {
        await using var builder = await CreateAsync(
            "Infrastructure:Mode=External",
            "ConnectionStrings:messaging=amqp://user:pass@rabbit.example:5672/",
            "ConnectionStrings:objectstore=Endpoint=https://s3.example;Bucket=traces");

        Assert.DoesNotContain(builder.Resources, r => r.Name == "epmd");
        // External connection strings are parameters: values from configuration or user secrets, never started.
        Assert.IsAssignableFrom<ParameterResource>(builder.Resources.Single(r => r.Name == "messaging"));
        Assert.IsAssignableFrom<ParameterResource>(builder.Resources.Single(r => r.Name == "objectstore"));
        var ingest = builder.Resources.Single(r => r.Name == "ingest");
        Assert.Empty(ingest.Annotations.OfType<WaitAnnotation>());
    }

    [Fact]
    public async Task ContainersModeUsesTheRabbitMqAndMinioContainers()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Containers", "Parameters:objectstore-password=test-password");

        Assert.IsType<RabbitMQServerResource>(builder.Resources.Single(r => r.Name == "messaging"));
        Assert.IsType<MinioResource>(builder.Resources.Single(r => r.Name == "objectstore"));
        Assert.Contains(builder.Resources, r => r.Name == "objectstore-bucket");
    }

    [Theory]
    [InlineData("ingest", "messaging")]
    [InlineData("batcher", "messaging")]
    [InlineData("batcher", "objectstore")]
    [InlineData("compactor", "messaging")]
    [InlineData("compactor", "objectstore")]
    [InlineData("query", "objectstore")]
    [InlineData("health", "messaging")]
    [InlineData("health", "objectstore")]
    public async Task ServiceWaitsForTheInfrastructureItUses(string service, string dependency)
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local");

        var resource = builder.Resources.Single(r => r.Name == service);

        Assert.Contains(resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == dependency);
        var environment = await EnvironmentAsync(resource);
        Assert.Contains($"ConnectionStrings__{dependency}", environment.Keys);
    }

    [Fact]
    public async Task ServicesListenOnTheWellKnownPortsByDefault()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local");

        Assert.Equal(4317, Endpoint(builder, "ingest", "grpc").Port);
        Assert.Equal(4318, Endpoint(builder, "ingest", "http").Port);
        Assert.Equal(16686, Endpoint(builder, "query", "http").Port);
        Assert.Equal(13133, Endpoint(builder, "health", "http").Port);
        Assert.Equal(5672, Endpoint(builder, "messaging", "amqp").Port);
        Assert.Equal(15672, Endpoint(builder, "messaging", "management").Port);
        Assert.Equal(9000, Endpoint(builder, "objectstore", "http").Port);
    }

    [Fact]
    public async Task TestsCanAskForFreePorts()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local", "Infrastructure:FixedPorts=false");

        Assert.Null(Endpoint(builder, "ingest", "grpc").Port);
        Assert.Null(Endpoint(builder, "query", "http").Port);
        Assert.Null(Endpoint(builder, "messaging", "amqp").Port);
    }

    [Fact]
    public async Task BatcherAndCompactorReplicasAreConfigurable()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local", "Infrastructure:BatcherReplicas=2", "Infrastructure:CompactorReplicas=3");

        var batcher = builder.Resources.Single(r => r.Name == "batcher");
        var compactor = builder.Resources.Single(r => r.Name == "compactor");

        Assert.Equal(2, batcher.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
        Assert.Equal(3, compactor.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
    }

    [Theory]
    [InlineData("batcher")]
    [InlineData("compactor")]
    public async Task ParquetEncodingServicesReturnFreedNativeMemory(string service)
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local");

        var environment = await EnvironmentAsync(builder.Resources.Single(r => r.Name == service));

        Assert.Equal("2", environment["MALLOC_ARENA_MAX"]);
        Assert.Equal("0", environment["MIMALLOC_PURGE_DELAY"]);
    }

    [Fact]
    public async Task HealthApiCanDiscoverTheOtherServices()
    {
        await using var builder = await CreateAsync("Infrastructure:Mode=Local");

        var environment = await EnvironmentAsync(builder.Resources.Single(r => r.Name == "health"));

        Assert.Contains("services__ingest__http__0", environment.Keys);
        Assert.Contains("services__batcher__http__0", environment.Keys);
        Assert.Contains("services__compactor__http__0", environment.Keys);
        Assert.Contains("services__query__http__0", environment.Keys);
    }

    /// <summary>The environment a resource would get, with endpoint values left as publish-mode placeholders.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentAsync(IResource resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new(DistributedApplicationOperation.Publish), NullLogger.Instance, TestContext.Current.CancellationToken)
            .WaitAsync(Timeout);
        return configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
    }

    private static EndpointAnnotation Endpoint(IDistributedApplicationTestingBuilder builder, string resource, string endpoint) =>
        builder.Resources.Single(r => r.Name == resource).Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpoint);

    private static async Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) =>
        await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.OtelStorage_AppHost>([.. args, $"Infrastructure:DataPath={Path.GetTempPath()}/otelstorage-model-tests"], TestContext.Current.CancellationToken)
            .WaitAsync(Timeout);
}
