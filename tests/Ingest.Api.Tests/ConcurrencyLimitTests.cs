using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Ingest.Api.Ingest;
using Ingest.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>
/// Otlp:MaxConcurrentRequests bounds the export requests in flight across both protocols, refusing one more before
/// its body is read with the same answers as any other throttling.
/// </summary>
public sealed class ConcurrencyLimitTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private const string Origin = "https://app.example.com";

    private const int HeldSpans = 40;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExportsPastTheLimitAreThrottledInEveryProtocolUntilTheExportInFlightCompletes()
    {
        await using var app = await StartAsync();
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meters, IngestTelemetry.MeterName, "otelstorage.ingest.requests");
        using var activeRequests = new MetricCollector<long>(meters, "Microsoft.AspNetCore.Hosting", "http.server.active_requests");
        var held = await HoldThePermitAsync(app, meters);

        using var protobuf = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(2)), Cancel);
        using var json = await app.Http.PostAsync(app.TracesUri, new StringContent("{}", Encoding.UTF8, "application/json"), Cancel);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(2), cancellationToken: Cancel).ResponseAsync);

        Assert.Equal(HttpStatusCode.TooManyRequests, protobuf.StatusCode);
        Assert.True(protobuf.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After is {protobuf.Headers.RetryAfter}");
        Assert.Equal("application/x-protobuf", protobuf.Content.Headers.ContentType!.ToString());
        var status = Google.Rpc.Status.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal((int)Google.Rpc.Code.ResourceExhausted, status.Code);
        Assert.Contains("at most 1 are read at once (Otlp:MaxConcurrentRequests)", status.Message, StringComparison.Ordinal);
        Assert.NotNull(status.GetDetail<Google.Rpc.RetryInfo>());

        Assert.Equal(HttpStatusCode.TooManyRequests, json.StatusCode);
        Assert.True(json.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After is {json.Headers.RetryAfter}");
        Assert.Equal("application/json", json.Content.Headers.ContentType!.ToString());
        var jsonBody = await json.Content.ReadAsStringAsync(Cancel);
        Assert.StartsWith("""{"code":8,"message":"Too many export requests are in flight""", jsonBody, StringComparison.Ordinal);
        Assert.Contains("google.rpc.RetryInfo", jsonBody, StringComparison.Ordinal);

        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Contains("Otlp:MaxConcurrentRequests", grpc.Status.Detail, StringComparison.Ordinal);
        var grpcStatus = grpc.GetRpcStatus();
        Assert.NotNull(grpcStatus);
        Assert.Equal((int)Google.Rpc.Code.ResourceExhausted, grpcStatus.Code);
        var retry = grpcStatus.GetDetail<Google.Rpc.RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));

        held.Content.Release();
        using (var first = await held.Response.WaitAsync(Timeout, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The client has its answer slightly before the server lets go of the request (and its permit).
        await WaitUntilAsync(activeRequests, m => m.Sum(x => x.Value) == 0);
        using var after = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(3)), Cancel);
        var grpcAfter = await app.Grpc.ExportAsync(Requests.Spans(4), cancellationToken: Cancel).ResponseAsync.WaitAsync(Timeout, Cancel);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Null(grpcAfter.PartialSuccess);
        Assert.Equal(
            ["grpc success", "grpc throttled", "http/json throttled", "http/protobuf success", "http/protobuf success", "http/protobuf throttled"],
            requests.GetMeasurementSnapshot().Select(m => $"{m.Tags["protocol"]} {m.Tags["outcome"]}").Order(StringComparer.Ordinal));
        var warnings = app.Logs.Where(r => r.Level == LogLevel.Warning && r.Message.StartsWith("Throttled an export request", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.All(warnings, r => Assert.Equal("1", r.GetStructuredStateValue("Limit")));
        var messages = await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, HeldSpans + 3 + 4, Timeout);
        Assert.Equal(HeldSpans + 3 + 4, messages.Sum(m => m.Body.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count))));
    }

    [Fact]
    public async Task HealthAliveAndCorsPreflightsAreNotLimitedWhileTheOnlyPermitIsHeld()
    {
        await using var app = await StartAsync();
        // Connected to the broker, so that readiness is healthy.
        using (var warmUp = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(1)), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var held = await HoldThePermitAsync(app, app.Services.GetRequiredService<IMeterFactory>());
        using var preflight = new HttpRequestMessage(HttpMethod.Options, app.TracesUri)
        {
            Headers = { { "Origin", Origin }, { "Access-Control-Request-Method", "POST" }, { "Access-Control-Request-Headers", "content-type" } },
        };

        using var health = await app.Http.GetAsync(new Uri(app.HttpEndpoint, "/health"), Cancel);
        using var alive = await app.Http.GetAsync(new Uri(app.HttpEndpoint, "/alive"), Cancel);
        using var allowed = await app.Http.SendAsync(preflight, Cancel);
        using var throttled = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(1)), Cancel);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(Origin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        held.Content.Release();
        using var first = await held.Response.WaitAsync(Timeout, Cancel);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    private Task<IngestApp> StartAsync() =>
        IngestApp.StartAsync(broker, new Dictionary<string, string?>
        {
            ["Otlp:MaxConcurrentRequests"] = "1",
            ["Ingest:Cors:AllowedOrigins:0"] = Origin,
        });

    /// <summary>
    /// Starts an export whose body stops halfway until released, and returns once it holds the only permit. Half the
    /// body is about 60 KB, which keeps Kestrel's minimum data rate (240 B/s) satisfied for minutes.
    /// </summary>
    private static async Task<(StalledContent Content, Task<HttpResponseMessage> Response)> HoldThePermitAsync(IngestApp app, IMeterFactory meters)
    {
        using var leases = new MetricCollector<long>(meters, "Microsoft.AspNetCore.RateLimiting", "aspnetcore.rate_limiting.active_request_leases");
        var content = new StalledContent(Requests.Spans(HeldSpans, attributeBytes: 3000).ToByteArray());
        var response = app.Http.PostAsync(app.TracesUri, content, Cancel);

        await content.FirstPartWritten.WaitAsync(Timeout, Cancel);
        await WaitUntilAsync(leases, m => m.Sum(x => x.Value) == 1);
        Assert.False(response.IsCompleted, "The held export finished before it was released.");
        return (content, response);
    }

    /// <summary>Waits until the measurements collected so far satisfy the condition, re-checking at each new one.</summary>
    private static async Task WaitUntilAsync(MetricCollector<long> collector, Func<IReadOnlyList<CollectedMeasurement<long>>, bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Timeout);
        while (true)
        {
            var measurements = collector.GetMeasurementSnapshot();
            if (condition(measurements))
            {
                return;
            }

            await collector.WaitForMeasurementsAsync(measurements.Count + 1, timeout.Token);
        }
    }

    private static ByteArrayContent Protobuf(OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest request) =>
        new(request.ToByteArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } };

    /// <summary>A protobuf body of known length that sends its first half, then waits for <see cref="Release"/>.</summary>
    private sealed class StalledContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource _firstPartWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StalledContent(byte[] body)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        }

        public Task FirstPartWritten => _firstPartWritten.Task;

        public void Release() => _released.TrySetResult();

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var half = _body.Length / 2;
            await stream.WriteAsync(_body.AsMemory(0, half), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            _firstPartWritten.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            await stream.WriteAsync(_body.AsMemory(half), cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
