using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Testing;
using OtelStorage.Testing.Otlp;
using Xunit;

namespace OtelStorage.Otlp.Tests;

/// <summary>
/// Our .proto files against the official OpenTelemetry .NET SDK: its OtlpExporter sends over gRPC (HTTP/2
/// cleartext, real Kestrel) to a TraceService of ours, and every field must parse into our generated types.
/// </summary>
public sealed class WireCompatibilityTests
{
    [Fact]
    public async Task OtlpExporterSpansWithEveryFieldParseIntoOurGeneratedTypes()
    {
        var port = FreePort.Next();
        var received = new CapturingTraceService.Store();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(received);
        await using var app = builder.Build();
        app.MapGrpcService<CapturingTraceService>();
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var spans = new EveryFieldSpans();
        spans.Export(new Uri($"http://127.0.0.1:{port}"), OtlpExportProtocol.Grpc);

        Assert.NotEmpty(received.Requests);
        spans.AssertEveryField([.. received.Requests.SelectMany(r => r.ResourceSpans)]);
    }

    private sealed class CapturingTraceService(CapturingTraceService.Store store) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            store.Requests.Enqueue(request);
            return Task.FromResult(new ExportTraceServiceResponse());
        }

        public sealed class Store
        {
            public ConcurrentQueue<ExportTraceServiceRequest> Requests { get; } = new();
        }
    }
}
