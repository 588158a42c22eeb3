using System.Globalization;
using Google.Protobuf;
using Grpc.Core;

namespace Ingest.Api.Grpc;

/// <summary>
/// Answers a gRPC call before Grpc.AspNetCore handles it: a trailers-only response
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#responses), whose one HEADERS frame carries the
/// status, as Grpc.AspNetCore writes for a call that fails before its response starts.
/// </summary>
public static class GrpcTrailersOnly
{
    public const string ContentType = "application/grpc";

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase) == true;

    public static void Write(HttpResponse response, StatusCode code, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    /// <summary>
    /// The status, with the google.rpc.Status itself in <c>grpc-status-details-bin</c>, where clients look for
    /// RetryInfo (https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-throttling).
    /// </summary>
    public static void Write(HttpResponse response, Google.Rpc.Status status)
    {
        Write(response, (StatusCode)status.Code, status.Message);
        // Binary metadata is base64, sent unpadded as the gRPC implementations do; receivers accept both.
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
    }
}
