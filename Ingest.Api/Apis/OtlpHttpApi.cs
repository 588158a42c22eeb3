using Google.Rpc;
using Ingest.Api.Grpc;
using Ingest.Api.Ingest;
using Ingest.Api.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Json;
using OtelStorage.Tenancy;

namespace Ingest.Api.Apis;

/// <summary>OTLP/HTTP trace export (https://opentelemetry.io/docs/specs/otlp/#otlphttp).</summary>
public static class OtlpHttpApi
{
    public const string TracesPath = "/v1/traces";

    public const string CorsPolicy = "otlp";

    public static IEndpointRouteBuilder MapOtlpHttpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(TracesPath, ExportAsync)
            .WithName("ExportTraces")
            .WithSummary("Accepts an OTLP ExportTraceServiceRequest as application/x-protobuf or application/json, optionally gzip-compressed.")
            .RequireCors(CorsPolicy)
            .RequireRateLimiting(ExportConcurrencyPolicy.Name)
            .DisableAntiforgery();
        // Explicit, because gRPC's catch-all routes for unknown services would otherwise turn these into 404.
        // OPTIONS stays with the CORS middleware for preflights.
        app.MapMethods(TracesPath, [HttpMethods.Get, HttpMethods.Head, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch], MethodNotAllowed)
            .WithName("ExportTracesMethodNotAllowed")
            .WithSummary("Answers 405: OTLP/HTTP accepts only POST.")
            .RequireCors(CorsPolicy);
        // Fallbacks rank below every other route, so POST, the methods above and CORS preflights are unaffected: any
        // other method on /v1/traces (TRACE, custom ones) is a 405 as well, and any other path a 404 that says where
        // traces go, instead of an empty answer.
        app.MapFallback(TracesPath, MethodNotAllowed)
            .WithName("ExportTracesOtherMethods");
        // Every path: the default fallback pattern skips paths whose last segment looks like a file name.
        app.MapFallback("{*path}", NotFound)
            .WithName("NotFound");
        return app;
    }

    public sealed record ExportServices(
        IngestPipeline Pipeline,
        ApiKeyAuthorizer Authorizer,
        IngestTelemetry Telemetry,
        IOptions<OtlpReceiverOptions> Options);

    public static async Task<OtlpHttpResult> ExportAsync(HttpContext context, [AsParameters] ExportServices services)
    {
        var request = context.Request;
        if (!TryGetEncoding(request.ContentType, out var json))
        {
            services.Telemetry.Request(IngestProtocol.HttpProtobuf, "unsupported_media_type");
            return OtlpHttpResult.Failure(
                StatusCodes.Status415UnsupportedMediaType,
                Code.InvalidArgument,
                $"Content-Type \"{request.ContentType}\" is not supported; use application/x-protobuf or application/json.",
                json: true);
        }

        var protocol = json ? IngestProtocol.HttpJson : IngestProtocol.HttpProtobuf;
        if (!TenantId.TryResolve(request.Headers[TenantId.HeaderName], out var tenant, out var tenantError))
        {
            services.Telemetry.Request(protocol, "invalid");
            return OtlpHttpResult.Failure(StatusCodes.Status400BadRequest, Code.InvalidArgument, tenantError!, json);
        }

        var access = services.Authorizer.Authorize(request.Headers.Authorization, request.Headers[ApiKeyAuthorizer.ApiKeyHeader], tenant);
        if (access != ApiKeyDecision.Allowed)
        {
            var forbidden = access == ApiKeyDecision.Forbidden;
            services.Telemetry.Request(protocol, forbidden ? "forbidden" : "unauthenticated");
            return OtlpHttpResult.Failure(
                forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized,
                forbidden ? Code.PermissionDenied : Code.Unauthenticated,
                ApiKeyAuthorizer.Explain(access, tenant),
                json);
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            services.Telemetry.Request(protocol, "invalid");
            return OtlpHttpResult.Failure(StatusCodes.Status400BadRequest, Code.InvalidArgument, $"Content-Encoding \"{encoding}\" is not supported; use gzip or none.", json);
        }

        var limit = services.Options.Value.MaxRequestBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // The limit applies after decompression, in RequestBodyReader. Kestrel's own limit stays off, so that
            // after an early 413 it can drain the rest of the body and HTTP/1.1 clients read the answer instead of a reset.
            sizeFeature.MaxRequestBodySize = null;
        }

        PooledBody body;
        try
        {
            if (!gzip && request.ContentLength > limit)
            {
                throw new RequestTooLargeException(limit);
            }

            body = await RequestBodyReader.ReadAsync(request.Body, gzip, request.ContentLength, limit, context.RequestAborted);
        }
        catch (RequestTooLargeException)
        {
            services.Telemetry.Request(protocol, "too_large");
            return OtlpHttpResult.Failure(StatusCodes.Status413PayloadTooLarge, Code.InvalidArgument, $"The request body exceeds {limit} bytes after decompression; send smaller batches.", json);
        }
        catch (InvalidDataException e)
        {
            services.Telemetry.Request(protocol, "invalid");
            return OtlpHttpResult.Failure(StatusCodes.Status400BadRequest, Code.InvalidArgument, $"The gzip body cannot be decompressed: {e.Message}", json);
        }

        using (body)
        {
            if (!json)
            {
                return ToHttpResult(await services.Pipeline.IngestProtobufAsync(body.Memory, protocol, tenant, context.RequestAborted), json);
            }

            ExportTraceServiceRequest export;
            try
            {
                export = OtlpJson.ParseRequest(body.Span);
            }
            catch (OtlpJsonException e)
            {
                services.Telemetry.Request(protocol, "invalid");
                return OtlpHttpResult.Failure(StatusCodes.Status400BadRequest, Code.InvalidArgument, $"The body is not valid OTLP JSON: {e.Message}", json);
            }

            return ToHttpResult(await services.Pipeline.IngestAsync(export, protocol, tenant, context.RequestAborted), json);
        }
    }

    private static OtlpHttpResult ToHttpResult(IngestResult result, bool json) =>
        result.Outcome switch
        {
            IngestOutcome.Accepted => OtlpHttpResult.Success(result.Response, json),
            IngestOutcome.Throttled => OtlpHttpResult.Failure(StatusCodes.Status429TooManyRequests, Code.ResourceExhausted, result.Error!, json, result.RetryAfter),
            IngestOutcome.Invalid => OtlpHttpResult.Failure(StatusCodes.Status400BadRequest, Code.InvalidArgument, result.Error!, json),
            _ => OtlpHttpResult.Failure(StatusCodes.Status503ServiceUnavailable, Code.Unavailable, result.Error!, json, result.RetryAfter),
        };

    /// <summary>
    /// No route: a google.rpc.Status naming the OTLP/HTTP path, or for a gRPC request UNIMPLEMENTED as a trailers-only
    /// answer, as Grpc.AspNetCore gives an unknown method.
    /// </summary>
    public static IResult NotFound(HttpContext context)
    {
        var request = context.Request;
        var message = $"Nothing is served at {request.Method} {request.Path}: OTLP/HTTP traces are accepted at POST {TracesPath}, OTLP/gRPC at {OpenTelemetry.Proto.Collector.Trace.V1.TraceService.Descriptor.FullName}/Export.";
        if (GrpcTrailersOnly.IsGrpc(request))
        {
            GrpcTrailersOnly.Write(context.Response, global::Grpc.Core.StatusCode.Unimplemented, message);
            return TypedResults.Ok();
        }

        var json = !(request.ContentType?.StartsWith(OtlpHttpResult.ProtobufMediaType, StringComparison.OrdinalIgnoreCase) ?? false);
        return OtlpHttpResult.Failure(StatusCodes.Status404NotFound, Code.NotFound, message, json);
    }

    public static IResult MethodNotAllowed(HttpContext context)
    {
        context.Response.Headers.Allow = HttpMethods.Post;
        return TypedResults.StatusCode(StatusCodes.Status405MethodNotAllowed);
    }

    /// <summary>Parses the media type, so parameters such as <c>; charset=utf-8</c> are accepted.</summary>
    internal static bool TryGetEncoding(string? contentType, out bool json)
    {
        json = false;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        if (media.MediaType.Equals(OtlpHttpResult.ProtobufMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        json = media.MediaType.Equals(OtlpJson.MediaType, StringComparison.OrdinalIgnoreCase);
        return json;
    }
}
