using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace OtelStorage.AppHost.Tests;

/// <summary>
/// One running system for the end-to-end tests of a class: the AppHost in Local mode on free ports, with
/// throwaway data, every resource healthy. Starting it takes 20–40 s, so tests share it.
/// </summary>
public sealed class LocalAppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly string[] Infrastructure = ["epmd", "messaging", "objectstore"];
    public static readonly string[] Services = ["ingest", "batcher", "compactor", "query", "health"];

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("not started");

    public CapturingLoggerProvider Logs { get; } = new();

    public string DataPath { get; } = Directory.CreateTempSubdirectory("otelstorage-apphost-").FullName;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.OtelStorage_AppHost>(
                AppHostArguments.Local(DataPath))
            .WaitAsync(StartTimeout);
        builder.Services.AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        _app = await builder.BuildAsync().WaitAsync(StartTimeout);
        await _app.StartAsync().WaitAsync(StartTimeout);
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in Infrastructure.Concat(Services))
        {
            await notifications.WaitForResourceHealthyAsync(name).WaitAsync(StartTimeout);
        }
    }

    /// <summary>Error lines the services logged, from their forwarded console output.</summary>
    public IReadOnlyList<string> ServiceErrors() =>
    [
        .. Logs.Entries
            .Where(e => Services.Any(s => e.Category.EndsWith(".Resources." + s, StringComparison.Ordinal) || e.Category.Contains(".Resources." + s + "-", StringComparison.Ordinal)))
            .Where(e => e.Level >= LogLevel.Error || e.Message.StartsWith("fail:", StringComparison.Ordinal) || e.Message.StartsWith("crit:", StringComparison.Ordinal))
            .Select(e => $"{e.Category}: {e.Message}"),
    ];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(StartTimeout);
            await _app.DisposeAsync();
        }
    }
}

/// <summary>The end-to-end test classes share one running system.</summary>
[CollectionDefinition(Name)]
public sealed class LocalAppHostCollection : ICollectionFixture<LocalAppHostFixture>
{
    public const string Name = "Local AppHost";
}
