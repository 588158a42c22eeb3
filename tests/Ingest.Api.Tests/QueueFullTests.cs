using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Ingest.Api.Tests.Infrastructure;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>Past the queue's size limit the broker refuses publishes, and clients are throttled with retry information.</summary>
public sealed class QueueFullTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FullQueueThrottlesWith429RetryAfterAndResourceExhaustedWithRetryInfo()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Messaging:MaxQueueBytes"] = "1048576" });
        var request = Requests.Spans(100, attributeBytes: 3000);

        // About 300 KiB per request: the 1 MiB queue is full after a handful.
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 30 && throttled is null; i++)
        {
            var response = await app.Http.PostAsync(app.TracesUri, new ByteArrayContent(request.ToByteArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } }, Cancel);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                response.Dispose();
                continue;
            }

            throttled = response;
        }

        Assert.NotNull(throttled);
        using (throttled)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            var status = Google.Rpc.Status.Parser.ParseFrom(await throttled.Content.ReadAsByteArrayAsync(Cancel));
            Assert.Equal((int)Google.Rpc.Code.ResourceExhausted, status.Code);
            Assert.Contains("over its size limit", status.Message);
        }

        var grpc = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(request, cancellationToken: Cancel).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        var retry = grpc.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));
    }
}
