using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging.Connection;
using OtelStorage.Messaging.Publishing;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class MessagingServiceCollectionExtensionsTests
{
    private static HostApplicationBuilder Builder(string? connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:messaging", connectionString), new("Messaging:Queue", "my-spans")]);
        return builder;
    }

    [Fact]
    public void AddSpanPublisherRegistersThePublisherItsStartAndTheMessagingHealthCheck()
    {
        var builder = Builder("amqp://guest:guest@127.0.0.1:1/");
        builder.AddSpanPublisher("test-ingest");
        using var host = builder.Build();

        Assert.NotNull(host.Services.GetRequiredService<SpanPublisher>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is SpanPublisherStartup);
        Assert.Equal("my-spans", host.Services.GetRequiredService<IOptions<SpanQueueOptions>>().Value.Queue);
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.Contains(checks, c => c.Name == BrokerConnectionFactory.ConnectionStringName);
    }

    [Fact]
    public void AddSpanPublisherWithoutAConnectionStringFailsNamingTheKey()
    {
        var builder = Builder(null);
        builder.AddSpanPublisher("test-ingest");
        using var host = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<SpanPublisher>());

        Assert.StartsWith("ConnectionStrings:messaging is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSpanConsumerGivesTheConsumerAConnectorNamedForIt()
    {
        var builder = Builder("amqp://guest:guest@127.0.0.1:1/");
        builder.AddSpanConsumer<FakeConsumer>(_ => "batcher-test");
        using var host = builder.Build();

        var consumer = Assert.Single(host.Services.GetServices<IHostedService>().OfType<FakeConsumer>());

        Assert.NotNull(consumer.Connect);
        Assert.Equal("my-spans", consumer.Queue.Queue);
    }

    [Fact]
    public void AddSpanConsumerWithABadConnectionStringFailsWhenTheConsumerIsCreated()
    {
        var builder = Builder("http://rabbit/");
        builder.AddSpanConsumer<FakeConsumer>(_ => "batcher-test");
        using var host = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetServices<IHostedService>().ToList());

        Assert.Contains("must use the amqp or amqps scheme, got 'http'", error.Message, StringComparison.Ordinal);
    }

    private sealed class FakeConsumer(BrokerConnector connect, IOptions<SpanQueueOptions> queue) : BackgroundService
    {
        public BrokerConnector Connect { get; } = connect;

        public SpanQueueOptions Queue { get; } = queue.Value;

        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
