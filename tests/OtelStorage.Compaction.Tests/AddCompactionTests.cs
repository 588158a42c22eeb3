using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Compaction.Retention;
using OtelStorage.Storage.ObjectStore;
using Xunit;

namespace OtelStorage.Compaction.Tests;

public sealed class AddCompactionTests
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(
        [
            new("Storage:Kind", "filesystem"),
            new("Storage:Path", Path.Combine(Path.GetTempPath(), "otelstorage-compaction-di")),
            new("ConnectionStrings:messaging", "amqp://guest:guest@127.0.0.1:1/"),
            .. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
        ]);
        builder.AddObjectStore();
        builder.AddCompaction();
        return builder.Build();
    }

    [Fact]
    public void DefaultsWorkAndTheWorkerIsRegistered()
    {
        using var host = Build();

        var options = host.Services.GetRequiredService<IOptions<CompactionOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(30), options.Interval);
        Assert.Equal(2, options.Concurrency);
        Assert.Equal(TimeSpan.FromDays(7), host.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.Period);
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is CompactionWorker);
    }

    [Fact]
    public void DisabledCompactionRegistersNoWorker()
    {
        using var host = Build(("Compaction:Enabled", "false"));

        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s is CompactionWorker);
    }

    [Fact]
    public async Task BadConfigurationStopsTheStartWithAMessageNamingTheKey()
    {
        using var host = Build(("Compaction:Interval", "00:00:00"), ("Retention:Tenants:acme", "00:00:00"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Compaction:Interval", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("17")]
    public async Task ConcurrencyOutsideOneToSixteenStopsTheStart(string concurrency)
    {
        using var host = Build(("Compaction:Concurrency", concurrency));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Compaction:Concurrency must be between 1 and 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PerTenantRetentionBindsFromConfiguration()
    {
        using var host = Build(("Retention:Period", "3.00:00:00"), ("Retention:Tenants:acme", "30.00:00:00"));

        var policy = host.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.ToPolicy();
        Assert.Equal(TimeSpan.FromDays(30), policy.PeriodFor("acme"));
        Assert.Equal(TimeSpan.FromDays(3), policy.PeriodFor("other"));
    }
}
