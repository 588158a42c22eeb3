using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Ingest.Api.Tests.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>A broker outage never turns into a success, and ingest comes back by itself when the broker does.</summary>
public sealed class BrokerOutageTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConfirmsThatDoNotArriveInTimeAreUnavailableNeverSuccess()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Messaging:Publisher:ConfirmTimeout"] = "00:00:02" });
        await app.Grpc.ExportAsync(Requests.Spans(1), cancellationToken: Cancel);

        // A hung broker: the connection stays up and the publish is written, but no confirm comes back.
        broker.Pause();
        try
        {
            var grpc = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(3), cancellationToken: Cancel).ResponseAsync);
            using var http = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(3)), Cancel);

            Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
            Assert.Contains("did not confirm within 2 s", grpc.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, http.StatusCode);
            Assert.True(http.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
        finally
        {
            broker.Resume();
        }

        // Once the broker answers again, exports succeed without restarting the service.
        await app.Grpc.ExportAsync(Requests.Spans(2), cancellationToken: Cancel);
    }

    [Fact]
    public async Task ExportFailsWithARetryableStatusWhileTheBrokerIsDown()
    {
        await using var app = await IngestApp.StartAsync(broker);
        await app.Grpc.ExportAsync(Requests.Spans(1), cancellationToken: Cancel);
        var before = await QueueReader.CountAsync(broker.ConnectionString, app.Queue);

        await broker.StopAsync(Cancel);
        try
        {
            var grpc = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(3), cancellationToken: Cancel).ResponseAsync);
            using var http = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(3)), Cancel);

            Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, http.StatusCode);
            Assert.True(http.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal((int)Google.Rpc.Code.Unavailable, Google.Rpc.Status.Parser.ParseFrom(await http.Content.ReadAsByteArrayAsync(Cancel)).Code);
        }
        finally
        {
            await broker.StartAsync(Cancel);
        }

        // Nothing from the outage was half-delivered: only the message confirmed before it is in the queue.
        Assert.Equal(before, await QueueReader.CountAsync(broker.ConnectionString, app.Queue));
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task TheOfficialOtlpExporterGetsAFailureNotASuccessWhileTheBrokerIsDown(OtlpExportProtocol protocol)
    {
        await using var app = await IngestApp.StartAsync(broker);
        await app.Grpc.ExportAsync(Requests.Spans(1), cancellationToken: Cancel);
        var before = await QueueReader.CountAsync(broker.ConnectionString, app.Queue);
        using var exporter = new OtlpTraceExporter(new OtlpExporterOptions
        {
            Endpoint = protocol == OtlpExportProtocol.Grpc ? app.GrpcEndpoint : app.TracesUri,
            Protocol = protocol,
            TimeoutMilliseconds = 3000, // The exporter retries a retryable answer until then.
        });
        using var span = new Activity("during the outage").Start();
        span.Stop();

        await broker.StopAsync(Cancel);
        ExportResult result;
        try
        {
            result = exporter.Export(new Batch<Activity>([span], 1));
        }
        finally
        {
            await broker.StartAsync(Cancel);
        }

        Assert.Equal(ExportResult.Failure, result);
        Assert.Equal(before, await QueueReader.CountAsync(broker.ConnectionString, app.Queue));
    }

    [Fact]
    public async Task IngestRecoversAfterTheBrokerRestartsWithoutRestartingTheService()
    {
        await using var app = await IngestApp.StartAsync(broker);
        await app.Grpc.ExportAsync(Requests.Spans(1), cancellationToken: Cancel);

        await broker.StopAsync(Cancel);
        await broker.StartAsync(Cancel);

        // The client recovers its connection in the background; exporters retry meanwhile, and so does this wait.
        await Eventually.ValueAsync(
            async ct =>
            {
                using var response = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(2)), ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                }

                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60),
            Cancel,
            what: "an export accepted after the broker restarted",
            interval: TimeSpan.FromMilliseconds(250));

        await app.Grpc.ExportAsync(Requests.Spans(3), cancellationToken: Cancel);
        await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 1 + 2 + 3, TimeSpan.FromSeconds(30));
    }

    private static ByteArrayContent Protobuf(OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest request) =>
        new(request.ToByteArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } };
}
