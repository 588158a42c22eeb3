using System.Globalization;
using Google.Protobuf;
using Google.Rpc;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Errors;
using OtelStorage.Otlp.Json;

namespace Ingest.Api.Apis;

/// <summary>
/// An OTLP/HTTP response: the body in the request's encoding with the exact Content-Type that exporters
/// compare (https://opentelemetry.io/docs/specs/otlp/#otlphttp-response), and Retry-After in whole seconds.
/// </summary>
public sealed class OtlpHttpResult(int statusCode, byte[] body, string contentType, TimeSpan? retryAfter = null) : IResult
{
    public const string ProtobufMediaType = "application/x-protobuf";

    public int StatusCode => statusCode;

    public static OtlpHttpResult Success(ExportTraceServiceResponse response, bool json) =>
        new(StatusCodes.Status200OK, json ? OtlpJson.FormatResponse(response) : response.ToByteArray(), json ? OtlpJson.MediaType : ProtobufMediaType);

    public static OtlpHttpResult Failure(int statusCode, Code code, string message, bool json, TimeSpan? retryAfter = null)
    {
        var status = OtlpStatus.Create(code, message, retryAfter);
        return new(statusCode, json ? OtlpStatus.FormatJson(status) : status.ToByteArray(), json ? OtlpJson.MediaType : ProtobufMediaType, retryAfter);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await response.Body.WriteAsync(body, httpContext.RequestAborted);
    }
}
