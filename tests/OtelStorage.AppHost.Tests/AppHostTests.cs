using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace OtelStorage.AppHost.Tests;

/// <summary>Starts the whole system in Local mode (rabbitmq-server and s3rver as processes) and checks it comes up clean.</summary>
public sealed class AppHostTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly string[] Infrastructure = ["epmd", "messaging", "objectstore"];
    private static readonly string[] Services = ["ingest", "batcher", "query", "health"];

    [Fact]
    public async Task EveryResourceBecomesHealthyAndServicesAnswerHealthWithoutLoggingErrors()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataPath = Directory.CreateTempSubdirectory("otelstorage-apphost-").FullName;
        var logs = new CapturingLoggerProvider();
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.OtelStorage_AppHost>(AppHostArguments.Local(dataPath), ct)
            .WaitAsync(StartTimeout, ct);
        builder.Services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

        await using var app = await builder.BuildAsync(ct).WaitAsync(StartTimeout, ct);
        await app.StartAsync(ct).WaitAsync(StartTimeout, ct);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();

        foreach (var name in Infrastructure.Concat(Services))
        {
            await notifications.WaitForResourceHealthyAsync(name, ct).WaitAsync(StartTimeout, ct);
        }

        foreach (var service in Services)
        {
            using var client = app.CreateHttpClient(service, "http");
            using var response = await client.GetAsync("/health", ct).WaitAsync(StartTimeout, ct);
            Assert.True(response.IsSuccessStatusCode, $"{service} /health answered {(int)response.StatusCode}");
        }

        var errors = logs.Entries
            .Where(e => Services.Any(s => e.Category.EndsWith(".Resources." + s, StringComparison.Ordinal) || e.Category.Contains(".Resources." + s + "-", StringComparison.Ordinal)))
            .Where(e => e.Level >= LogLevel.Error || e.Message.StartsWith("fail:", StringComparison.Ordinal) || e.Message.StartsWith("crit:", StringComparison.Ordinal))
            .Select(e => $"{e.Category}: {e.Message}")
            .ToList();
        Assert.Empty(errors);

        await app.StopAsync(ct).WaitAsync(StartTimeout, ct);
    }
}
