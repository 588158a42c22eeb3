using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.Compaction.Tests;

public sealed class CompactionBrokerHealthCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Task<HealthCheckResult> CheckAsync(CompactionBrokerHealthCheck check, HealthStatus failureStatus = HealthStatus.Unhealthy) =>
        check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration(CompactionBrokerHealthCheck.Name, check, failureStatus, null) }, Ct);

    [Fact]
    public async Task BeforeTheFirstConnectionAttemptHasFinishedTheWorkerIsHealthyAndStarting()
    {
        var result = await CheckAsync(new CompactionBrokerHealthCheck());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.StartsWith("starting", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedSessionIsTheRegistrationsFailureStatusNamingTheError()
    {
        var check = new CompactionBrokerHealthCheck();
        var refused = new IOException("Connection refused (127.0.0.1:5672)");

        check.SessionFailed(refused);
        var unhealthy = await CheckAsync(check);
        var degraded = await CheckAsync(check, HealthStatus.Degraded);

        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Equal("no RabbitMQ session; reconnecting: Connection refused (127.0.0.1:5672)", unhealthy.Description);
        Assert.Same(refused, unhealthy.Exception);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
    }

    [Fact]
    public async Task ASessionStartedAfterAFailureIsHealthyAgain()
    {
        var check = new CompactionBrokerHealthCheck();
        check.SessionFailed(new IOException("Connection refused"));

        check.SessionStarted();
        var result = await CheckAsync(check);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("consuming the compaction queue", result.Description);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void AddCompactionRegistersTheCheckAsMessagingOnlyWhenTheWorkerRuns(string enabled, bool registered)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(
        [
            new("Storage:Kind", "filesystem"),
            new("Storage:Path", Path.Combine(Path.GetTempPath(), "otelstorage-compaction-health")),
            new("ConnectionStrings:messaging", "amqp://guest:guest@127.0.0.1:1/"),
            new("Compaction:Enabled", enabled),
        ]);
        builder.AddObjectStore();
        builder.AddCompaction();
        using var host = builder.Build();

        var names = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);

        Assert.Equal(registered, names.Contains(CompactionBrokerHealthCheck.Name));
    }
}

/// <summary>The check against a real broker: it follows the worker's own session.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class CompactionBrokerSessionHealthTests(Infrastructure infrastructure)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheCheckIsHealthyWhileTheWorkerConsumesAndUnhealthyOnceItsConnectionIsGone()
    {
        var store = new BlockStore(infrastructure.CreateObjectStore(), new BlockKeys("h" + Guid.NewGuid().ToString("N")[..10]));
        var options = new CompactionOptions { Interval = TimeSpan.FromHours(1), MinBlockAge = TimeSpan.FromDays(1) };
        await using var replica = new Replica(store, infrastructure.Broker.ConnectionString, options, null, "otelstorage.compaction.health-" + Guid.NewGuid().ToString("N")[..8]);

        await replica.StartAsync();
        await Eventually.TrueAsync(async _ => (await CompactionBrokerHealthCheckTests.CheckAsync(replica.Health)).Description == "consuming the compaction queue", Timeout, TestContext.Current.CancellationToken, "the worker consumes");
        await replica.KillAsync();
        await Eventually.TrueAsync(async _ => (await CompactionBrokerHealthCheckTests.CheckAsync(replica.Health)).Status == HealthStatus.Unhealthy, Timeout, TestContext.Current.CancellationToken, "the check reports the lost connection");
    }
}
