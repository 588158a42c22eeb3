using Google.Protobuf;
using Grpc.Core;
using Ingest.Api.Tests.Infrastructure;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>OTLP/gRPC answers as https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-response prescribes.</summary>
public sealed class OtlpGrpcErrorTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EmptyRequestSucceedsWithoutPartialSuccess()
    {
        await using var app = await IngestApp.StartAsync(broker);

        var response = await app.Grpc.ExportAsync(new ExportTraceServiceRequest(), cancellationToken: Cancel);

        Assert.Null(response.PartialSuccess);
    }

    [Fact]
    public async Task InvalidSpansAreReportedAsPartialSuccess()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var request = Requests.Spans(4);
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId = ByteString.CopyFrom(new byte[16]);
        request.ResourceSpans[0].ScopeSpans[0].Spans[3].SpanId = ByteString.CopyFrom(new byte[3]);

        var response = await app.Grpc.ExportAsync(request, cancellationToken: Cancel);

        Assert.Equal(2, response.PartialSuccess.RejectedSpans);
        Assert.Contains("spans[0]: traceId must not be all zeros", response.PartialSuccess.ErrorMessage);
        Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 2, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task GzipCompressedRequestsAreAccepted()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var headers = new Metadata { { "grpc-internal-encoding-request", "gzip" } };

        await app.Grpc.ExportAsync(Requests.Spans(10, attributeBytes: 1000), headers, cancellationToken: Cancel);

        Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 10, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task MessageOverTheLimitAfterDecompressionIsResourceExhaustedWithoutRetryInfo()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxRequestBytes"] = "1048576" });
        // Highly compressible: small on the wire, over the limit once decompressed.
        var request = Requests.Spans(1, attributeBytes: 2 * 1024 * 1024);
        var headers = new Metadata { { "grpc-internal-encoding-request", "gzip" } };

        var error = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(request, headers, cancellationToken: Cancel).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Null(error.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>());
    }

    [Fact]
    public async Task ApiKeysAreUnauthenticatedWithoutAValidKeyAndPermissionDeniedForAnotherTenant()
    {
        const string anyTenant = "grpc-key-0123456789abcdef";
        const string acmeOnly = "acme-key-0123456789abcdef";
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?>
        {
            ["Ingest:Auth:ApiKeys:0:Key"] = anyTenant,
            ["Ingest:Auth:ApiKeys:1:Key"] = acmeOnly,
            ["Ingest:Auth:ApiKeys:1:Tenants:0"] = "acme",
        });

        var missing = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(1), cancellationToken: Cancel).ResponseAsync);
        await app.Grpc.ExportAsync(Requests.Spans(1), new Metadata { { "authorization", "Bearer " + anyTenant } }, cancellationToken: Cancel);
        await app.Grpc.ExportAsync(Requests.Spans(1), new Metadata { { "x-api-key", anyTenant } }, cancellationToken: Cancel);
        await app.Grpc.ExportAsync(Requests.Spans(1), new Metadata { { "x-api-key", acmeOnly }, { "x-scope-orgid", "acme" } }, cancellationToken: Cancel);
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(1), new Metadata { { "x-api-key", acmeOnly }, { "x-scope-orgid", "globex" } }, cancellationToken: Cancel).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, otherTenant.StatusCode);
        Assert.Contains("not allowed to use tenant 'globex'", otherTenant.Status.Detail);
    }

    [Fact]
    public async Task UndecodableMessageIsInvalidArgumentSayingWhatIsWrong()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var raw = new Method<byte[], byte[]>(MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcChannel.CreateCallInvoker().AsyncUnaryCall(raw, null, new CallOptions(cancellationToken: Cancel), [0x0A, 0xFF, 0xFF, 0xFF, 0x0F]).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a valid OTLP protobuf ExportTraceServiceRequest", error.Status.Detail);
    }

    [Fact]
    public async Task InvalidTenantIsInvalidArgument()
    {
        await using var app = await IngestApp.StartAsync(broker);

        var error = await Assert.ThrowsAsync<RpcException>(() => app.Grpc.ExportAsync(Requests.Spans(1), new Metadata { { "x-scope-orgid", "a/b" } }, cancellationToken: Cancel).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("X-Scope-OrgID", error.Status.Detail);
    }

    // Kestrel's 30,000,000-byte body limit, which Grpc.AspNetCore keeps for unary calls, must not apply: the limit is
    // Otlp:MaxRequestBytes (GrpcFrameGuard).
    [Fact]
    public async Task ExportsOverThirtyMegabytesAndUnderTheLimitSucceed()
    {
        // One 40 MiB attribute: the attribute-value limit is raised so that only the request size is in play.
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxAttributeValueBytes"] = "67108864" });
        var request = Requests.Spans(1, attributeBytes: 40 * 1024 * 1024);

        var response = await app.Grpc.ExportAsync(request, cancellationToken: Cancel);

        Assert.Null(response.PartialSuccess);
        Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 1, TimeSpan.FromSeconds(60)));
    }

    // Left to Grpc.AspNetCore, these framing errors would be UNKNOWN with a handler error in the log.
    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 2, 0x0A, 0x00 }, null, StatusCode.Internal, "compressed flag 2")]
    [InlineData(new byte[] { 0xFF, 0, 0, 0, 2, 0x0A, 0x00 }, null, StatusCode.Internal, "compressed flag 255")]
    [InlineData(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x00 }, null, StatusCode.ResourceExhausted, "4294967295 bytes")]
    [InlineData(new byte[] { 1, 0, 0, 0, 4, 1, 2, 3, 4 }, "gzip", StatusCode.Internal, "cannot be decompressed")]
    public async Task BrokenGrpcFramingIsAClientErrorStatusNotUnknown(byte[] body, string? encoding, StatusCode expected, string message)
    {
        await using var app = await IngestApp.StartAsync(broker);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app.GrpcEndpoint, "/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/grpc") } },
        };
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        }

        using var response = await http.SendAsync(request, Cancel);
        await response.Content.ReadAsByteArrayAsync(Cancel);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), Header(response, "grpc-status"));
        Assert.Contains(message, Uri.UnescapeDataString(Header(response, "grpc-message") ?? string.Empty));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
        : response.Headers.TryGetValues(name, out var header) ? header.First()
        : null;
}
