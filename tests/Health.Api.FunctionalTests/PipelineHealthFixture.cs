using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Health.Api.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using OtelStorage.Testing;
using Xunit;

namespace Health.Api.FunctionalTests;

/// <summary>
/// The whole system in Local mode (rabbitmq-server and s3rver as processes) on free ports, with Health.Api polling
/// twice a second and short rule windows, shared by the tests of one class.
/// </summary>
public sealed class PipelineHealthFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataPath = Directory.CreateTempSubdirectory("otelstorage-health-").FullName;
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.OtelStorage_AppHost>(
                ["Infrastructure:Mode=Local", "Infrastructure:FixedPorts=false", $"Infrastructure:DataPath={dataPath}"], ct)
            .WaitAsync(StartTimeout, ct);

        builder.CreateResourceBuilder<ProjectResource>("health")
            .WithEnvironment("Health__PollInterval", "00:00:00.5")
            .WithEnvironment("Health__CheckTimeout", "00:00:02")
            .WithEnvironment("Health__Rules__NoConsumerFor", "00:00:02")
            // Only this test's few spans arrive, so blocks are rare; the rule has its own unit tests.
            .WithEnvironment("Health__Rules__NoBlockWrittenFor", "01:00:00");

        _app = await builder.BuildAsync(ct).WaitAsync(StartTimeout, ct);
        await _app.StartAsync(ct).WaitAsync(StartTimeout, ct);
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in new[] { "messaging", "objectstore", "ingest", "batcher", "compactor", "query", "health" })
        {
            await notifications.WaitForResourceHealthyAsync(name, ct).WaitAsync(StartTimeout, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(StartTimeout);
            await _app.DisposeAsync();
        }
    }

    public HttpClient CreateHealthClient() => App.CreateHttpClient("health", "http");

    /// <summary>Stops every instance of a resource and waits until it has exited.</summary>
    public Task StopAsync(string resource, CancellationToken cancellationToken) =>
        ExecuteAsync(resource, KnownResourceCommands.StopCommand, [KnownResourceStates.Exited, KnownResourceStates.Finished], cancellationToken);

    /// <summary>Starts every instance of a resource and waits until it runs.</summary>
    public Task StartAsync(string resource, CancellationToken cancellationToken) =>
        ExecuteAsync(resource, KnownResourceCommands.StartCommand, [KnownResourceStates.Running], cancellationToken);

    /// <summary>
    /// Runs a resource command and waits for the state it leads to. On a loaded machine DCP may report a stop as
    /// failed (its wait for the process is short) while the process is still going down, so the state decides.
    /// </summary>
    private async Task ExecuteAsync(string resource, string command, string[] states, CancellationToken cancellationToken)
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        var result = await commands
            .ExecuteCommandAsync(model.Resources.Single(r => r.Name == resource), command, cancellationToken)
            .WaitAsync(StartTimeout, cancellationToken);
        try
        {
            await notifications.WaitForResourceAsync(resource, states, cancellationToken).WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{command} {resource} did not reach {string.Join(" or ", states)} within {StartTimeout}: {(result.Success ? "the command succeeded" : result.Message)}");
        }
    }

    /// <summary>Reads <c>/health</c> until <paramref name="condition"/> holds, or fails with the last report.</summary>
    public static async Task<HealthReport> WaitForHealthAsync(HttpClient client, Func<HealthReport, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (_, report) = await Eventually.ValueAsync<(string Json, HealthReport? Report)>(
            async ct =>
            {
                using var response = await client.GetAsync("/health", ct);
                if (response.Content.Headers.ContentType?.MediaType != "application/json")
                {
                    return ($"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}", null);
                }

                var json = await response.Content.ReadAsStringAsync(ct);
                return (json, JsonSerializer.Deserialize<HealthReport>(json, Json));
            },
            last => last.Report is not null && condition(last.Report),
            timeout,
            cancellationToken,
            what: "/health to reach the expected state",
            describe: last => "report " + last.Json,
            // The poll interval is 0.5 s; asking more often would only read the same report again.
            interval: TimeSpan.FromMilliseconds(250));
        return report!;
    }

    public static async Task<HistoryProbe> ReadHistoryAsync(HttpClient client, CancellationToken cancellationToken) =>
        (await client.GetFromJsonAsync<HistoryProbe>("/health/history", Json, cancellationToken))!;
}

/// <summary>The parts of <c>/health/history</c> the tests read.</summary>
public sealed record HistoryProbe(IReadOnlyList<HistoryPoint> Points, HealthReport? Latest);

/// <summary>One running system for every functional test class: starting it takes most of a test's time, and two would share two cores.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineHealthFixture>
{
    public const string Name = "pipeline";
}
