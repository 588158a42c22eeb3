using System.Text.Json;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>The verdict on one answer: the label it is counted under and, if the case failed, why.</summary>
public sealed record Verdict(string Outcome, string? Problem)
{
    public bool Failed => Problem is not null;

    /// <summary>A 5xx answer, or a gRPC status that means a server fault.</summary>
    public bool ServerError { get; init; }
}

/// <summary>
/// Judges one answer (docs/RELIABILITY-fuzz.md, "The oracle"):
/// <list type="bullet">
/// <item>an answer must come, within the case's timeout (no hang, no reset);</item>
/// <item>never a 5xx: every input here is a client's doing, and the broker and store are up;</item>
/// <item>a 4xx carries a message: a google.rpc.Status with a message from Ingest.Api, a JSON error from Query.Api;</item>
/// <item>gRPC answers HTTP 200 with a grpc-status; a non-OK status has a grpc-message and is a client-error code
/// (INVALID_ARGUMENT; RESOURCE_EXHAUSTED, UNIMPLEMENTED or framing INTERNAL only where the case allows it);</item>
/// <item>valid inputs (<see cref="Expectation.Success"/>) succeed, and stored ones (<see cref="Expectation.Stored"/>) with no span rejected.</item>
/// </list>
/// The process staying alive and memory staying bounded are checked by the runner and the tests.
/// </summary>
public static class Oracle
{
    private static readonly string[] GrpcNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>Kestrel's default limit on all request headers together (<c>MaxRequestHeadersTotalSize</c>, 32 KiB).</summary>
    private const int KestrelRequestHeadLimit = 32 * 1024;

    private static int RequestHeadBytes(FuzzCase c) => c.PathAndQuery.Length + c.Headers.Sum(h => h.Key.Length + h.Value.Length);

    public static Verdict Judge(FuzzCase c, Observation o)
    {
        if (o.NotSent)
        {
            return new Verdict("not sent (client refused)", null);
        }

        if (o.HttpStatus is not { } status)
        {
            // Kestrel answers a request line or headers over its limits with 414 or 431 and closes the connection at
            // once; a client still writing the rest of a megabyte of headers sees the close (a broken pipe or a reset)
            // before it reads that answer. Kestrel refused the request either way.
            if (!o.TimedOut && RequestHeadBytes(c) > KestrelRequestHeadLimit && o.Error is { } error
                && (error.Contains("Broken pipe", StringComparison.Ordinal) || error.Contains("reset by peer", StringComparison.Ordinal)))
            {
                return new Verdict("closed by Kestrel while sending an oversize request head", null);
            }

            return new Verdict(o.TimedOut ? "hang" : "no answer", o.Error ?? "no answer");
        }

        if (status >= 500)
        {
            return new Verdict(status.ToString(System.Globalization.CultureInfo.InvariantCulture), $"HTTP {status} for a client's input: {Excerpt(o)}") { ServerError = true };
        }

        return c.Target == FuzzTarget.IngestGrpc && status == 200 ? JudgeGrpc(c, o) : JudgeHttp(c, o, status);
    }

    /// <summary>A valid export must be stored whole: spans rejected in <c>partial_success</c> fail the case.</summary>
    private static string? Rejections(Observation o)
    {
        var (rejected, message) = o.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true
            ? JsonRejections(o.Body)
            : (ExportTraceServiceResponse.Parser.ParseFrom(o.Body).PartialSuccess is { } p ? (p.RejectedSpans, p.ErrorMessage) : (0, string.Empty));
        return rejected > 0 ? $"valid input partly refused: {rejected} spans rejected: {message}" : null;
    }

    private static (long Rejected, string Message) JsonRejections(byte[] body)
    {
        using var json = System.Text.Json.JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("partialSuccess", out var partial))
        {
            return (0, string.Empty);
        }

        var rejected = partial.TryGetProperty("rejectedSpans", out var r) ? long.Parse(r.ToString(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (rejected, partial.TryGetProperty("errorMessage", out var m) ? m.GetString() ?? string.Empty : string.Empty);
    }

    private static Verdict JudgeHttp(FuzzCase c, Observation o, int status)
    {
        var label = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (status is >= 200 and < 300)
        {
            return new Verdict(label, c.Expect == Expectation.Stored ? Rejections(o) : null);
        }

        if (c.Expect is Expectation.Success or Expectation.Stored)
        {
            return new Verdict(label, $"valid input refused with HTTP {status}: {Excerpt(o)}");
        }

        if (status is < 400 or >= 500)
        {
            return new Verdict(label, $"unexpected HTTP {status}");
        }

        if (status == 405)
        {
            return o.HasAllowHeader ? new Verdict(label, null) : new Verdict(label, "405 without an Allow header");
        }

        // Kestrel refuses a few things before any application code runs, with its reason phrase and no body:
        // an over-long request line (414) or header block (431), and a request it cannot parse (400).
        if (o.Body.Length == 0 && o.ContentType is null && status is 400 or 414 or 431)
        {
            return new Verdict(label + " (Kestrel)", null);
        }

        var message = c.Target switch
        {
            FuzzTarget.Query => QueryErrorMessage(o),
            // Grpc.AspNetCore refuses a request that is not gRPC (415 for another content type) with grpc-status and grpc-message.
            FuzzTarget.IngestGrpc when o.GrpcMessage is { Length: > 0 } => o.GrpcMessage,
            _ => IngestErrorMessage(o),
        };
        return string.IsNullOrWhiteSpace(message)
            ? new Verdict(label, $"HTTP {status} without an error message: {Excerpt(o)}")
            : new Verdict(label, null);
    }

    private static Verdict JudgeGrpc(FuzzCase c, Observation o)
    {
        if (o.GrpcStatus is not { } code)
        {
            return new Verdict("grpc (no status)", "HTTP 200 on the gRPC port without a grpc-status");
        }

        var label = "grpc " + (code is >= 0 and < 17 ? GrpcNames[code] : code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (code == 0)
        {
            return new Verdict(label, null);
        }

        if (c.Expect is Expectation.Success or Expectation.Stored)
        {
            return new Verdict(label, $"valid input refused with {label}: {o.GrpcMessage}");
        }

        var allowed = code switch
        {
            3 => true,
            8 => c.Grpc.HasFlag(GrpcAllowance.ResourceExhausted),
            12 => c.Grpc.HasFlag(GrpcAllowance.Unimplemented),
            13 => c.Grpc.HasFlag(GrpcAllowance.FramingInternal),
            1 or 4 => c.Grpc.HasFlag(GrpcAllowance.Deadline),
            _ => false,
        };
        if (!allowed)
        {
            // UNKNOWN (an unhandled exception), INTERNAL for a well-framed message, UNAVAILABLE, DATA_LOSS: server faults.
            return new Verdict(label, $"{label} is not a client-error answer to this input: {o.GrpcMessage}") { ServerError = code is 2 or 13 or 14 or 15 };
        }

        return string.IsNullOrWhiteSpace(o.GrpcMessage) ? new Verdict(label, $"{label} without a grpc-message") : new Verdict(label, null);
    }

    /// <summary>Ingest.Api's failures are a google.rpc.Status in the request's encoding.</summary>
    private static string? IngestErrorMessage(Observation o)
    {
        try
        {
            if (o.ContentType?.StartsWith("application/x-protobuf", StringComparison.Ordinal) == true)
            {
                return Google.Rpc.Status.Parser.ParseFrom(o.Body).Message;
            }

            using var json = JsonDocument.Parse(o.Body);
            return json.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>
    /// Query.Api's failures are <c>{"error":"…"}</c>, Jaeger's envelope <c>{"errors":[{"msg":"…"}]}</c>, or api_v3's
    /// <c>{"error":{"message":"…"}}</c>; the OpenAPI route answers an unknown document with a plain-text message.
    /// </summary>
    private static string? QueryErrorMessage(Observation o)
    {
        if (o.ContentType?.StartsWith("text/plain", StringComparison.Ordinal) == true)
        {
            return System.Text.Encoding.UTF8.GetString(o.Body);
        }

        try
        {
            using var json = JsonDocument.Parse(o.Body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("error", out var error))
            {
                return error.ValueKind switch
                {
                    JsonValueKind.String => error.GetString(),
                    // Jaeger's api_v3 gateway: {"error":{"httpCode":400,"message":"…"}}.
                    JsonValueKind.Object when error.TryGetProperty("message", out var message) => message.GetString(),
                    _ => null,
                };
            }

            return root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                && errors[0].TryGetProperty("msg", out var msg) ? msg.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Excerpt(Observation o)
    {
        var text = System.Text.Encoding.UTF8.GetString(o.Body.AsSpan(0, Math.Min(o.Body.Length, 300)));
        return o.GrpcMessage is null ? text : $"{o.GrpcMessage} {text}";
    }
}
