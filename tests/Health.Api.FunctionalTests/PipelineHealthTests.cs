using System.Net;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Health.Api.Pipeline;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Messaging;
using RabbitMQ.Client;
using Xunit;

namespace Health.Api.FunctionalTests;

/// <summary>Health.Api against the running system: it follows the Batcher and RabbitMQ stopping and starting.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineHealthTests(PipelineHealthFixture fixture)
{
    private static readonly TimeSpan StateTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task HealthFollowsTheBatcherAndRabbitMqStoppingAndStartingAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.CreateHealthClient();

        // Everything up: Healthy, with every component checked.
        var healthy = await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Status == PipelineStatus.Healthy, StateTimeout, ct);
        Assert.Empty(healthy.Reasons);
        Assert.Contains(healthy.Components, c => c.Name == HealthRules.RabbitMqComponent && c.LatencyMs > 0);
        using (var ok = await client.GetAsync("/health", ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // The Batcher stops and spans keep arriving: the queue grows with no one to consume it.
        await fixture.StopAsync("batcher", ct);
        var options = new SpanQueueOptions();
        await PublishSpansAsync(options, 20, ct);
        var degraded = await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Reasons.Any(x => x.StartsWith("queue growing, no consumer", StringComparison.Ordinal)), StateTimeout, ct);
        Assert.Equal(PipelineStatus.Degraded, degraded.Status);
        Assert.True(degraded.Figures.QueueDepth >= 20, $"queue depth {degraded.Figures.QueueDepth}");
        Assert.Equal(0, degraded.Figures.QueueConsumers);
        using (var stillOk = await client.GetAsync("/health", ct))
        {
            Assert.Equal(HttpStatusCode.OK, stillOk.StatusCode);
        }

        // The Batcher starts again and drains the queue.
        await fixture.StartAsync("batcher", ct);
        await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Status == PipelineStatus.Healthy, StateTimeout, ct);

        // RabbitMQ stops: Unhealthy, and the reason names it; load balancers see 503.
        await fixture.StopAsync("messaging", ct);
        var unhealthy = await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Status == PipelineStatus.Unhealthy && r.Reasons.Any(x => x.Contains("RabbitMQ", StringComparison.Ordinal)), StateTimeout, ct);
        Assert.Equal(PipelineStatus.Unhealthy, unhealthy.Components.Single(c => c.Name == HealthRules.RabbitMqComponent).Status);
        using (var unavailable = await client.GetAsync("/health", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        }

        // RabbitMQ starts again: back to Healthy, and RabbitMQ's last error is kept.
        await fixture.StartAsync("messaging", ct);
        var recovered = await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Status == PipelineStatus.Healthy, StateTimeout, ct);
        Assert.NotNull(recovered.Components.Single(c => c.Name == HealthRules.RabbitMqComponent).LastError);
    }

    [Fact]
    public async Task TheHistoryEndpointReturnsAPointPerPoll()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.CreateHealthClient();
        await PipelineHealthFixture.WaitForHealthAsync(client, _ => true, StateTimeout, ct);
        var first = await PipelineHealthFixture.ReadHistoryAsync(client, ct);

        await PipelineHealthFixture.WaitForHealthAsync(client, r => r.Time > first.Points[^1].Time, StateTimeout, ct);
        var history = await PipelineHealthFixture.ReadHistoryAsync(client, ct);

        Assert.True(history.Points.Count > first.Points.Count || history.Points[^1].Time > first.Points[^1].Time);
        Assert.All(history.Points.Zip(history.Points.Skip(1)), p => Assert.True(p.First.Time < p.Second.Time));
        Assert.NotNull(history.Latest);
        Assert.NotNull(history.Points[^1].Figures.ErrorRates);
    }

    private async Task PublishSpansAsync(SpanQueueOptions options, int messages, CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null), ct);
        await SpanQueueTopology.DeclareAsync(channel, options, ct);
        var body = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Spans =
                            {
                                new Span
                                {
                                    TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
                                    SpanId = ByteString.CopyFrom(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray()),
                                    Name = "health test",
                                    StartTimeUnixNano = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
                                    EndTimeUnixNano = ((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 5) * 1_000_000,
                                },
                            },
                        },
                    },
                },
            },
        }.ToByteArray();

        for (var i = 0; i < messages; i++)
        {
            var properties = new BasicProperties
            {
                Persistent = true,
                ContentType = SpanMessage.ContentType,
                Type = SpanMessage.Type,
                Headers = new Dictionary<string, object?>
                {
                    [SpanMessage.Headers.Tenant] = "single-tenant",
                    [SpanMessage.Headers.SpanCount] = 1,
                    [SpanMessage.Headers.ReceivedAtUnixMs] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                },
            };
            await channel.BasicPublishAsync(string.Empty, options.Queue, mandatory: true, properties, body, ct);
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken ct)
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("messaging", ct);
        return await new ConnectionFactory { Uri = new Uri(connectionString!) }.CreateConnectionAsync(ct);
    }
}
