using System.Buffers;
using System.Buffers.Binary;
using Grpc.Core;
using Ingest.Api.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Ingest.Api.Grpc;

/// <summary>
/// Checks the header of an OTLP/gRPC request's message (the Length-Prefixed-Message of
/// https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md) before Grpc.AspNetCore reads it, and lifts
/// Kestrel's request body limit for gRPC calls.
/// </summary>
/// <remarks>
/// So that a client's framing errors get INTERNAL or RESOURCE_EXHAUSTED rather than UNKNOWN and a handler error, and
/// valid exports up to Otlp:MaxRequestBytes get past Kestrel's own limit (docs/ingest.md, "gRPC framing").
/// </remarks>
public sealed class GrpcFrameGuard(RequestDelegate next, IOptions<OtlpReceiverOptions> options)
{
    private const int HeaderSize = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpProtocol.IsHttp2(request.Protocol) || !GrpcTrailersOnly.IsGrpc(request))
        {
            await next(context);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        var reader = request.BodyReader;
        var result = await reader.ReadAsync(context.RequestAborted);
        while (result.Buffer.Length < HeaderSize && !result.IsCompleted && !result.IsCanceled)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync(context.RequestAborted);
        }

        var problem = Check(result.Buffer, options.Value.MaxRequestBytes);
        // Nothing is consumed: Grpc.AspNetCore reads the same bytes again.
        reader.AdvanceTo(result.Buffer.Start);
        if (problem is not { } status)
        {
            await next(context);
            return;
        }

        GrpcTrailersOnly.Write(context.Response, status.StatusCode, status.Detail);
    }

    private static Status? Check(ReadOnlySequence<byte> buffer, int limit)
    {
        if (buffer.Length < HeaderSize)
        {
            return null; // Grpc.AspNetCore answers INTERNAL "Incomplete message."
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        if (header[0] > 1)
        {
            return new Status(StatusCode.Internal, $"The gRPC message header has compressed flag {header[0]}; it must be 0 or 1.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return length > limit
            ? new Status(StatusCode.ResourceExhausted, $"The message is {length} bytes, over the limit of {limit} bytes (Otlp:MaxRequestBytes); send smaller batches.")
            : null;
    }
}
