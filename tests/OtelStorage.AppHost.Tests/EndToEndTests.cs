using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aspire.Hosting.Testing;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.AppHost.Tests;

/// <summary>
/// The whole pipeline through the AppHost: the official OpenTelemetry .NET exporter sends to Ingest.Api, the
/// Batcher writes blocks to s3rver, and Query.Api finds the spans by ID and by search within the freshness bound.
/// </summary>
[Collection(LocalAppHostCollection.Name)]
public sealed class EndToEndTests(LocalAppHostFixture fixture)
{
    /// <summary>DESIGN.md: queryable within batch_timeout (3 s by default) plus 2 s; the rest is slack for a loaded CI machine.</summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task SpansExportedWithTheOpenTelemetrySdkAreFoundByIdAndBySearch(OtlpExportProtocol protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var service = "e2e-" + protocol.ToString().ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..6];
        var endpoint = protocol == OtlpExportProtocol.Grpc
            ? fixture.App.GetEndpoint("ingest", "grpc")
            : new Uri(fixture.App.GetEndpoint("ingest", "http"), "/v1/traces");
        using var source = new ActivitySource(service);
        ActivityTraceId traceId;
        using (var provider = Sdk.CreateTracerProviderBuilder()
                   .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service))
                   .AddSource(service)
                   .AddOtlpExporter(o =>
                   {
                       o.Endpoint = endpoint;
                       o.Protocol = protocol;
                       o.ExportProcessorType = ExportProcessorType.Simple;
                   })
                   .Build())
        {
            using (var parent = source.StartActivity("checkout", ActivityKind.Server)!)
            {
                traceId = parent.TraceId;
                parent.SetTag("http.request.method", "POST");
                using var child = source.StartActivity("SELECT orders", ActivityKind.Client)!;
                child.SetTag("db.system.name", "postgresql");
                child.SetStatus(ActivityStatusCode.Error, "timeout");
            }

            Assert.True(provider.ForceFlush(10_000));
        }

        using var query = fixture.App.CreateHttpClient("query", "http");
        var trace = await WaitForTraceAsync(query, traceId.ToHexString(), expectedSpans: 2, ct);
        var spans = trace.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        Assert.Equal(["SELECT orders", "checkout"], spans.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(service, trace.ResourceSpans[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        Assert.Equal(OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Error, spans.Single(s => s.Name == "SELECT orders").Status.Code);

        using var search = await query.GetAsync(new Uri($"/spans?service={service}&limit=10", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        using var found = JsonDocument.Parse(await search.Content.ReadAsStringAsync(ct));
        var foundSpans = found.RootElement.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(2, foundSpans.Count);
        Assert.All(foundSpans, s => Assert.Equal(traceId.ToHexString(), s.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task TheLoadGeneratorFindsEveryAcknowledgedSpanQueryable()
    {
        var ct = TestContext.Current.CancellationToken;
        var loadGen = Path.Combine(AppContext.BaseDirectory, "OtelStorage.LoadGen.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                loadGen, "--spans", "3000", "--batch-size", "200", "--concurrency", "4", "--seed", "99",
                "--endpoint", fixture.App.GetEndpoint("ingest", "grpc").ToString(),
                "--query-url", fixture.App.GetEndpoint("query", "http").ToString(),
                "--verify", "--verify-timeout", "60s",
            },
        };

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        var summary = await output;
        Assert.True(process.ExitCode == 0, summary + await errors);
        Assert.Contains("missing 0 ", summary, StringComparison.Ordinal);
        Assert.Contains("duplicates 0 ", summary, StringComparison.Ordinal);
    }

    private static async Task<TracesData> WaitForTraceAsync(HttpClient query, string traceId, int expectedSpans, CancellationToken ct)
    {
        var trace = await Eventually.ValueAsync<TracesData?>(
            async token =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/traces/" + traceId, UriKind.Relative));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
                using var response = await query.SendAsync(request, token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                    return null;
                }

                return TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(token));
            },
            found => found is not null && SpanCount(found) >= expectedSpans,
            Freshness,
            ct,
            what: $"trace {traceId} with {expectedSpans} spans",
            describe: found => found is null ? "not found" : $"{SpanCount(found)} spans",
            interval: TimeSpan.FromMilliseconds(200));
        return trace!;
    }

    private static int SpanCount(TracesData trace) => trace.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count));
}
