using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Ingest.Api.Tests.Infrastructure;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>OTLP/HTTP answers as https://opentelemetry.io/docs/specs/otlp/#otlphttp-response prescribes, for every error path.</summary>
public sealed class OtlpHttpErrorTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EmptyRequestSucceedsInBothEncodingsWithTheExactContentType()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var protobuf = await app.Http.PostAsync(app.TracesUri, Protobuf(new ExportTraceServiceRequest()), Cancel);
        using var json = await app.Http.PostAsync(app.TracesUri, Json("{}", "application/json; charset=utf-8"), Cancel);

        Assert.Equal(HttpStatusCode.OK, protobuf.StatusCode);
        Assert.Equal("application/x-protobuf", protobuf.Content.Headers.ContentType!.ToString());
        Assert.Equal(new ExportTraceServiceResponse(), ExportTraceServiceResponse.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync(Cancel)));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType!.ToString());
        Assert.Equal("{}", await json.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task InvalidSpansAreReportedAsPartialSuccessAndTheValidOnesArePublished()
    {
        await using var app = await IngestApp.StartAsync(broker);
        var request = Requests.Spans(3);
        request.ResourceSpans[0].ScopeSpans[0].Spans[1].Name = string.Empty;

        using var response = await app.Http.PostAsync(app.TracesUri, Protobuf(request), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(1, body.PartialSuccess.RejectedSpans);
        Assert.Contains("spans[1]: name must not be empty", body.PartialSuccess.ErrorMessage);
        var message = Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 2, TimeSpan.FromSeconds(30)));
        Assert.Equal(["span 0", "span 2"], message.Body.ResourceSpans[0].ScopeSpans[0].Spans.Select(s => s.Name));
    }

    [Fact]
    public async Task UndecodableBodyIsA400WithAGoogleRpcStatusInTheRequestEncoding()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var protobuf = await app.Http.PostAsync(app.TracesUri, new ByteArrayContent([0x0A, 0xFF, 0xFF, 0xFF, 0x0F]) { Headers = { ContentType = new("application/x-protobuf") } }, Cancel);
        using var json = await app.Http.PostAsync(app.TracesUri, Json("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex"}]}]}]}"""), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, protobuf.StatusCode);
        Assert.Equal("application/x-protobuf", protobuf.Content.Headers.ContentType!.ToString());
        var status = Google.Rpc.Status.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal((int)Google.Rpc.Code.InvalidArgument, status.Code);
        Assert.Contains("not a valid OTLP protobuf", status.Message);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType!.ToString());
        Assert.Contains("traceId must be a hex string", await json.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task OtherMethodsGet405AndOtherMediaTypesGet415NamingTheSupportedOnes()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var get = await app.Http.GetAsync(app.TracesUri, Cancel);
        using var put = await app.Http.PutAsync(app.TracesUri, Protobuf(new ExportTraceServiceRequest()), Cancel);
        using var text = await app.Http.PostAsync(app.TracesUri, new StringContent("hello", Encoding.UTF8, "text/plain"), Cancel);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Equal("POST", Assert.Single(get.Content.Headers.Allow));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        var message = await text.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("application/x-protobuf", message);
        Assert.Contains("application/json", message);
    }

    [Fact]
    public async Task GzipBodiesAreAcceptedAndUnsupportedOrCorruptEncodingsAre400()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var gzip = await app.Http.PostAsync(app.TracesUri, Gzip(Requests.Spans(5).ToByteArray()), Cancel);
        using var brotli = await app.Http.PostAsync(app.TracesUri, WithEncoding(Protobuf(Requests.Spans(1)), "br"), Cancel);
        using var corrupt = await app.Http.PostAsync(app.TracesUri, WithEncoding(new ByteArrayContent([1, 2, 3, 4]) { Headers = { ContentType = new("application/x-protobuf") } }, "gzip"), Cancel);

        Assert.Equal(HttpStatusCode.OK, gzip.StatusCode);
        Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 5, TimeSpan.FromSeconds(30)));
        Assert.Equal(HttpStatusCode.BadRequest, brotli.StatusCode);
        Assert.Contains("Content-Encoding \"br\" is not supported", Google.Rpc.Status.Parser.ParseFrom(await brotli.Content.ReadAsByteArrayAsync(Cancel)).Message);
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);
    }

    [Fact]
    public async Task BodiesOverTheLimitAre413AndAGzipBombStopsAtTheLimit()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxRequestBytes"] = "1048576" });
        // 64 MiB of zeros compress to about 64 KiB: small on the wire, far over the limit once inflated.
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        Assert.True(bomb.Headers.ContentLength < 1024 * 1024);

        using var large = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(1, attributeBytes: 2 * 1024 * 1024)), Cancel);
        using var bombed = await app.Http.PostAsync(app.TracesUri, bomb, Cancel);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bombed.StatusCode);
        var status = Google.Rpc.Status.Parser.ParseFrom(await bombed.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Contains("exceeds 1048576 bytes after decompression", status.Message);
    }

    [Fact]
    public async Task ApiKeysAnswer401WithoutAValidKeyAnd403ForATenantTheKeyIsNotBoundTo()
    {
        const string anyTenant = "test-key-0123456789abcdef";
        const string acmeOnly = "acme-key-0123456789abcdef";
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?>
        {
            ["Ingest:Auth:ApiKeys:0:Key"] = anyTenant,
            ["Ingest:Auth:ApiKeys:1:Key"] = acmeOnly,
            ["Ingest:Auth:ApiKeys:1:Tenants:0"] = "acme",
            ["Logging:LogLevel:Default"] = "Trace",
        });

        using var missing = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(1)), Cancel);
        using var wrong = await Send(app, Protobuf(Requests.Spans(1)), "X-API-Key", "test-key-0123456789abcdeX");
        using var bearer = await Send(app, Protobuf(Requests.Spans(1)), "Authorization", "Bearer " + anyTenant);
        using var header = await Send(app, Json("{}"), "X-API-Key", anyTenant);
        using var ownTenant = await Send(app, Json("{}"), ("X-API-Key", acmeOnly), ("X-Scope-OrgID", "acme"));
        using var otherTenant = await Send(app, Json("{}"), ("X-API-Key", acmeOnly), ("X-Scope-OrgID", "globex"));
        using var defaultTenant = await Send(app, Json("{}"), "X-API-Key", acmeOnly);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("a valid API key is required", Google.Rpc.Status.Parser.ParseFrom(await wrong.Content.ReadAsByteArrayAsync(Cancel)).Message);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownTenant.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        using var forbidden = System.Text.Json.JsonDocument.Parse(await otherTenant.Content.ReadAsStringAsync(Cancel));
        Assert.Contains("not allowed to use tenant 'globex'", forbidden.RootElement.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, defaultTenant.StatusCode);

        // Keys are secrets: no log record, at any level, carries one.
        Assert.NotEmpty(app.Logs);
        Assert.DoesNotContain(app.Logs, r => r.Message.Contains("0123456789abcde", StringComparison.Ordinal) || (r.Exception?.ToString().Contains("0123456789abcde", StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task ARequestOverTheSpanLimitIs400AndOneAtTheLimitIsAccepted()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxSpansPerRequest"] = "10" });

        using var over = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(11)), Cancel);
        using var at = await app.Http.PostAsync(app.TracesUri, Protobuf(Requests.Spans(10)), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Equal("the request has 11 spans, more than the 10 allowed (Otlp:MaxSpansPerRequest); send smaller batches", Google.Rpc.Status.Parser.ParseFrom(await over.Content.ReadAsByteArrayAsync(Cancel)).Message);
        Assert.Equal(HttpStatusCode.OK, at.StatusCode);
    }

    [Fact]
    public async Task ASpanWithAnAttributeOverTheValueLimitIsRejectedAndTheOthersKept()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxAttributeValueBytes"] = "1024" });
        var request = Requests.Spans(3);
        request.ResourceSpans[0].ScopeSpans[0].Spans[1].Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue
        {
            Key = "http.request.body",
            Value = new OpenTelemetry.Proto.Common.V1.AnyValue { StringValue = new string('x', 1025) },
        });

        using var response = await app.Http.PostAsync(app.TracesUri, Protobuf(request), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancel)).PartialSuccess;
        Assert.Equal(1, partial.RejectedSpans);
        Assert.Contains("attribute 'http.request.body' is over the 1024-byte value limit", partial.ErrorMessage);
    }

    [Fact]
    public async Task ASpanWithANameOverTheValueLimitIsRejectedAndTheOthersKept()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxAttributeValueBytes"] = "1024" });
        var request = Requests.Spans(3);
        request.ResourceSpans[0].ScopeSpans[0].Spans[2].Name = new string('n', 1025);

        using var response = await app.Http.PostAsync(app.TracesUri, Protobuf(request), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancel)).PartialSuccess;
        Assert.Equal(1, partial.RejectedSpans);
        Assert.Contains("spans[2]: name is 1025 bytes, over the 1024-byte limit", partial.ErrorMessage);
    }

    [Fact]
    public async Task AResourceAttributeOverTheValueLimitRejectsTheSpansOfThatResourceOnly()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Otlp:MaxAttributeValueBytes"] = "1024" });
        var request = Requests.Spans(2);
        request.ResourceSpans[0].Resource.Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue
        {
            Key = "process.command_line",
            Value = new OpenTelemetry.Proto.Common.V1.AnyValue { StringValue = new string('x', 1025) },
        });
        request.ResourceSpans.Add(Requests.Spans(3).ResourceSpans[0]);

        using var response = await app.Http.PostAsync(app.TracesUri, Protobuf(request), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancel)).PartialSuccess;
        Assert.Equal(2, partial.RejectedSpans);
        Assert.Contains("resourceSpans[0].resource: attribute 'process.command_line' is over the 1024-byte value limit", partial.ErrorMessage);
        var message = Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 3, TimeSpan.FromSeconds(30)));
        Assert.Equal(3, message.Body.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)));
        Assert.DoesNotContain(message.Body.ResourceSpans, r => r.Resource.Attributes.Any(a => a.Key == "process.command_line"));
    }

    [Fact]
    public async Task InvalidTenantIs400AndAValidOneIsCarriedToTheMessage()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var invalid = await Send(app, Json("{}"), "X-Scope-OrgID", "bad tenant!");
        using var tooLong = await Send(app, Json("{}"), "X-Scope-OrgID", new string('a', 65));
        using var valid = await Send(app, Protobuf(Requests.Spans(1)), "X-Scope-OrgID", "Tenant_1-a");

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("X-Scope-OrgID must be 1 to 64 characters", await invalid.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        var message = Assert.Single(await QueueReader.TakeAsync(broker.ConnectionString, app.Queue, 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("Tenant_1-a", message.Header("x-tenant"));
    }

    [Fact]
    public async Task CorsPreflightFromAConfiguredOriginIsAllowedAndRetryAfterIsExposed()
    {
        await using var app = await IngestApp.StartAsync(broker, new Dictionary<string, string?> { ["Ingest:Cors:AllowedOrigins:0"] = "https://app.example.com" });
        using var preflight = new HttpRequestMessage(HttpMethod.Options, app.TracesUri)
        {
            Headers = { { "Origin", "https://app.example.com" }, { "Access-Control-Request-Method", "POST" }, { "Access-Control-Request-Headers", "content-type,x-scope-orgid" } },
        };
        using var other = new HttpRequestMessage(HttpMethod.Options, app.TracesUri)
        {
            Headers = { { "Origin", "https://evil.example.com" }, { "Access-Control-Request-Method", "POST" } },
        };
        using var post = new HttpRequestMessage(HttpMethod.Post, app.TracesUri) { Content = Json("{}"), Headers = { { "Origin", "https://app.example.com" } } };

        using var allowed = await app.Http.SendAsync(preflight, Cancel);
        using var refused = await app.Http.SendAsync(other, Cancel);
        using var posted = await app.Http.SendAsync(post, Cancel);

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example.com", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("Retry-After", posted.Headers.GetValues("Access-Control-Expose-Headers").Single());
    }

    // JsonNode throws on such bodies only when the tree is first read, which must not reach the client as a 500.
    [Fact]
    public async Task JsonWithInvalidUtf8AnUnpairedSurrogateOrADuplicateKeyIsA400NotA500()
    {
        await using var app = await IngestApp.StartAsync(broker);
        byte[] invalidUtf8 = [.. "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\""u8, 0xFF, 0xFE, .. "\"}]}]}]}"u8];

        using var utf8 = await app.Http.PostAsync(app.TracesUri, new ByteArrayContent(invalidUtf8) { Headers = { ContentType = new("application/json") } }, Cancel);
        using var surrogate = await app.Http.PostAsync(app.TracesUri, Json("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\ud800"}]}]}]}"""), Cancel);
        using var duplicate = await app.Http.PostAsync(app.TracesUri, Json("""{"resourceSpans":[],"resourceSpans":[]}"""), Cancel);

        foreach (var (response, expected) in new[] { (utf8, "not valid UTF-8"), (surrogate, "not valid text"), (duplicate, "not valid JSON") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(expected, await response.Content.ReadAsStringAsync(Cancel));
        }
    }

    [Fact]
    public async Task OtherMethodsAndPathsGet405Or404WithAMessage()
    {
        await using var app = await IngestApp.StartAsync(broker);

        using var trace = await app.Http.SendAsync(new HttpRequestMessage(HttpMethod.Trace, app.TracesUri), Cancel);
        using var custom = await app.Http.SendAsync(new HttpRequestMessage(new HttpMethod("FOO"), app.TracesUri), Cancel);
        using var logs = await app.Http.PostAsync(new Uri(app.HttpEndpoint, "/v1/logs"), Json("{}"), Cancel);
        using var file = await app.Http.GetAsync(new Uri(app.HttpEndpoint, "/v1/traces.json"), Cancel);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, trace.StatusCode);
        Assert.Equal("POST", Assert.Single(trace.Content.Headers.Allow));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, custom.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, logs.StatusCode);
        Assert.Contains("POST /v1/traces", await logs.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        Assert.Contains("POST /v1/traces", await file.Content.ReadAsStringAsync(Cancel));
    }

    private static Task<HttpResponseMessage> Send(IngestApp app, HttpContent content, string header, string value) =>
        Send(app, content, (header, value));

    private static Task<HttpResponseMessage> Send(IngestApp app, HttpContent content, params (string Header, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, app.TracesUri) { Content = content };
        foreach (var (header, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return app.Http.SendAsync(request, Cancel);
    }

    private static ByteArrayContent Protobuf(ExportTraceServiceRequest request) =>
        new(request.ToByteArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } };

    private static StringContent Json(string json, string contentType = "application/json") =>
        new(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType));

    private static ByteArrayContent Gzip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }

        return WithEncoding(new ByteArrayContent(buffer.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } }, "gzip");
    }

    private static T WithEncoding<T>(T content, string encoding) where T : HttpContent
    {
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }
}
