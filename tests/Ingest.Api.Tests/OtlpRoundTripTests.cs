using System.Net.Http.Headers;
using System.Text;
using Ingest.Api.Tests.Infrastructure;
using OpenTelemetry.Exporter;
using OtelStorage.Messaging;
using OtelStorage.Testing;
using OtelStorage.Testing.Otlp;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>From the official OpenTelemetry .NET exporter, through Ingest.Api and RabbitMQ, back out of the queue.</summary>
public sealed class OtlpRoundTripTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OtlpExporterOverGrpcDeliversEveryFieldToTheQueue()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var spans = new EveryFieldSpans();

        spans.Export(app.GrpcEndpoint, OtlpExportProtocol.Grpc, new Dictionary<string, string> { ["X-Scope-OrgID"] = "team-a" });

        var messages = await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, spans.Emitted.Count, Timeout);
        spans.AssertEveryField([.. messages.SelectMany(m => m.Body.ResourceSpans)]);
        AssertHeaders(messages, "team-a");
    }

    [Fact]
    public async Task OtlpExporterOverHttpProtobufDeliversEveryFieldToTheQueue()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var spans = new EveryFieldSpans();

        spans.Export(app.TracesUri, OtlpExportProtocol.HttpProtobuf);

        var messages = await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, spans.Emitted.Count, Timeout);
        spans.AssertEveryField([.. messages.SelectMany(m => m.Body.ResourceSpans)]);
        AssertHeaders(messages, "single-tenant");
    }

    [Fact]
    public async Task HandWrittenOtlpJsonIsPublishedWithItsHexIdsDecoded()
    {
        await using var app = await IngestApp.StartAsync(broker);
        using var content = new StringContent(HandWrittenJson.Request, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

        using var response = await app.Http.PostAsync(app.TracesUri, content, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("{}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var message = Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 2, Timeout));
        var span = message.Body.ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal("5b8efff798038103d269b633813fc60c", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal("eee19b7ec3c1b174", Convert.ToHexStringLower(span.SpanId.Span));
        Assert.Equal(1764057600250000000ul, span.EndTimeUnixNano);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(span.Links[0].TraceId.Span));
    }

    [Fact]
    public async Task LargeRequestIsSplitIntoSeveralConfirmedMessages()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Messaging:Publisher:MaxMessageBytes"] = "65536" });
        var request = Requests.Spans(2000, attributeBytes: 200);
        using var content = new ByteArrayContent(Google.Protobuf.MessageExtensions.ToByteArray(request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await app.Http.PostAsync(app.TracesUri, content, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var messages = await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 2000, Timeout);
        Assert.True(messages.Count > 1);
        Assert.All(messages, m => Assert.True(m.Body.CalculateSize() <= 65536));
        Assert.Equal(2000, messages.Sum(m => int.Parse(m.Header(SpanMessage.Headers.SpanCount), System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static void AssertHeaders(List<QueuedMessage> messages, string tenant)
    {
        foreach (var message in messages)
        {
            Assert.True(message.Properties.Persistent);
            Assert.Equal(SpanMessage.ContentType, message.Properties.ContentType);
            Assert.Equal(tenant, message.Header(SpanMessage.Headers.Tenant));
            // The "{queue} publish" span's context, so the consumer's span joins its trace.
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]$", message.Header(SpanMessage.Headers.TraceParent));
            var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(message.Header(SpanMessage.Headers.ReceivedAtUnixMs), System.Globalization.CultureInfo.InvariantCulture));
            Assert.InRange(receivedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.Equal(message.Body.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)), int.Parse(message.Header(SpanMessage.Headers.SpanCount), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
