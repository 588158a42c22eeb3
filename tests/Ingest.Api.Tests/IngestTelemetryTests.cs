using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Ingest.Api.Ingest;
using Ingest.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using OtelStorage.Messaging;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>The dashboard's view of ingest: spans by fate, requests by protocol and outcome, confirm latency, and a log line per rejection.</summary>
public sealed class IngestTelemetryTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private const string Key = "telemetry-key-0123456789abcdef";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CountersHistogramAndLogsRecordEachOutcome()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?>
        {
            ["Ingest:Auth:ApiKeys:0:Key"] = Key,
            ["Logging:LogLevel:Ingest.Api.Ingest"] = "Information",
        });
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        using var received = Collector(meters, "otelstorage.ingest.spans.received");
        using var accepted = Collector(meters, "otelstorage.ingest.spans.accepted");
        using var rejected = Collector(meters, "otelstorage.ingest.spans.rejected");
        using var requests = Collector(meters, "otelstorage.ingest.requests");
        // A static meter, shared by every publisher in this process: counted from here on, and at least this test's.
        using var confirms = new MetricCollector<double>(null, MessagingTelemetry.SourceName, "otelstorage.messaging.publish.confirm.duration");

        await app.Grpc.ExportAsync(Requests.Spans(5), new global::Grpc.Core.Metadata { { "x-api-key", Key } }, cancellationToken: Cancel);
        var partial = Requests.Spans(4);
        partial.ResourceSpans[0].ScopeSpans[0].Spans[2].Name = string.Empty;
        using (var response = await app.Http.SendAsync(Post(app, partial, Key), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await app.Http.SendAsync(Post(app, Requests.Spans(2), key: null), Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(5, Sum(received, "grpc"));
        Assert.Equal(4, Sum(received, "http/protobuf"));
        Assert.Equal(5, Sum(accepted, "grpc"));
        Assert.Equal(3, Sum(accepted, "http/protobuf"));
        Assert.Equal(0, Sum(rejected, "grpc"));
        Assert.Equal(1, Sum(rejected, "http/protobuf"));
        Assert.Equal(
            ["grpc success", "http/protobuf partial_success", "http/protobuf unauthenticated"],
            requests.GetMeasurementSnapshot().Select(m => $"{m.Tags["protocol"]} {m.Tags["outcome"]}").Order(StringComparer.Ordinal));
        var latencies = confirms.GetMeasurementSnapshot();
        Assert.True(latencies.Count >= 2, $"{latencies.Count} confirm latencies recorded, expected one per published request");
        Assert.All(latencies, m => Assert.InRange(m.Value, 0, 30_000));

        var log = Assert.Single(app.Logs, r => r.Message.StartsWith("Rejected ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, log.Level);
        Assert.Equal("1", log.GetStructuredStateValue("Rejected"));
        Assert.Equal("4", log.GetStructuredStateValue("Received"));
        Assert.Contains("spans[2]: name must not be empty", log.GetStructuredStateValue("FirstError"), StringComparison.Ordinal);
    }

    private static MetricCollector<long> Collector(IMeterFactory meters, string instrument) =>
        new(meters, IngestTelemetry.MeterName, instrument);

    private static long Sum(MetricCollector<long> collector, string protocol) =>
        collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["protocol"] == protocol).Sum(m => m.Value);

    private static HttpRequestMessage Post(IngestApp app, OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest request, string? key)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, app.TracesUri)
        {
            Content = new ByteArrayContent(request.ToByteArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } },
        };
        if (key is not null)
        {
            message.Headers.Add("X-API-Key", key);
        }

        return message;
    }
}
