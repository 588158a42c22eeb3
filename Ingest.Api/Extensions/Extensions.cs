using Grpc.AspNetCore.Server;
using Ingest.Api.Apis;
using Ingest.Api.Grpc;
using Ingest.Api.Ingest;
using Ingest.Api.Options;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging;
using OtelStorage.Tenancy;

namespace Ingest.Api.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OtlpReceiverOptions>().BindConfiguration(OtlpReceiverOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestAuthOptions>().BindConfiguration(IngestAuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestCorsOptions>().BindConfiguration(IngestCorsOptions.SectionName)
            .Validate(o => o.AllowedOrigins.All(origin => origin == "*" || Uri.TryCreate(origin, UriKind.Absolute, out _)), "Ingest:Cors:AllowedOrigins entries must be absolute origins such as https://app.example.com, or *.")
            .ValidateOnStart();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var otlp = kestrel.ApplicationServices.GetRequiredService<IOptions<OtlpReceiverOptions>>().Value;
            // OTLP/gRPC clients speak HTTP/2 cleartext with prior knowledge, so the gRPC port must be HTTP/2 only.
            kestrel.Listen(builder.Configuration, otlp.GrpcPort, HttpProtocols.Http2);
            kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort($"{OtlpReceiverOptions.SectionName}:{nameof(OtlpReceiverOptions.HttpPort)}", otlp.HttpPort), HttpProtocols.Http1AndHttp2);
        });

        // gzip is the only message encoding besides identity. The size limit applies to the decompressed message,
        // checked as it inflates; over it the call fails with RESOURCE_EXHAUSTED and no RetryInfo. Corrupt gzip fails
        // with INTERNAL instead of UNKNOWN.
        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<OtlpReceiverOptions>>((grpc, otlp) =>
        {
            grpc.MaxReceiveMessageSize = otlp.Value.MaxRequestBytes;
            grpc.CompressionProviders = [new GuardedGzipCompressionProvider(otlp.Value.MaxRequestBytes)];
        });

        // Export requests in flight, both protocols together (ExportConcurrencyPolicy); UseRateLimiter runs after
        // routing and before the endpoints, so a refused request is answered before its body is read.
        services.AddRateLimiter(limiter => limiter.AddPolicy<string, ExportConcurrencyPolicy>(ExportConcurrencyPolicy.Name));

        services.AddCors(cors => cors.AddPolicy(OtlpHttpApi.CorsPolicy, _ => { }));
        services.AddSingleton<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider, OtlpCorsPolicyProvider>();

        services.TryAddSingleton(TimeProvider.System);
        builder.AddSpanPublisher("OtelStorage.Ingest");
        services.AddSingleton<IngestTelemetry>();
        services.AddSingleton(sp => new ApiKeyAuthorizer(sp.GetRequiredService<IOptions<IngestAuthOptions>>().Value.ApiKeys));
        services.AddSingleton<IngestPipeline>();
        return builder;
    }

    public static WebApplication MapOtlpGrpcApi(this WebApplication app)
    {
        app.MapGrpcService<TraceIngestService>().RequireRateLimiting(ExportConcurrencyPolicy.Name);
        return app;
    }
}
