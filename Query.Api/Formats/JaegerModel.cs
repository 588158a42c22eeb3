using System.Text.Json.Serialization;

namespace Query.Api.Formats;

// The JSON shapes of Jaeger's HTTP query API (jaeger-query's /api/*, model/json), which the Jaeger UI and
// Grafana's Jaeger data source read. Property names are Jaeger's exactly, hence the explicit names.

/// <summary>Jaeger's response envelope: <c>{data, total, limit, offset, errors}</c>.</summary>
public sealed record JaegerResponse<T>(
    [property: JsonPropertyName("data")] T? Data,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("offset")] int Offset,
    [property: JsonPropertyName("errors")] IReadOnlyList<JaegerError>? Errors);

/// <summary>An error entry; Jaeger leaves <c>code</c> out of the per-trace "trace not found" entries of a traceID search.</summary>
public sealed record JaegerError(
    [property: JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Code,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("traceID"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceId = null);

public sealed record JaegerTrace(
    [property: JsonPropertyName("traceID")] string TraceId,
    [property: JsonPropertyName("spans")] IReadOnlyList<JaegerSpan> Spans,
    [property: JsonPropertyName("processes")] IReadOnlyDictionary<string, JaegerProcess> Processes,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string>? Warnings);

public sealed record JaegerSpan(
    [property: JsonPropertyName("traceID")] string TraceId,
    [property: JsonPropertyName("spanID")] string SpanId,
    [property: JsonPropertyName("operationName")] string OperationName,
    [property: JsonPropertyName("references")] IReadOnlyList<JaegerReference> References,
    [property: JsonPropertyName("flags")] uint Flags,
    [property: JsonPropertyName("startTime")] ulong StartTime,
    [property: JsonPropertyName("duration")] ulong Duration,
    [property: JsonPropertyName("tags")] IReadOnlyList<JaegerKeyValue> Tags,
    [property: JsonPropertyName("logs")] IReadOnlyList<JaegerLog> Logs,
    [property: JsonPropertyName("processID")] string ProcessId,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string>? Warnings);

public sealed record JaegerReference(
    [property: JsonPropertyName("refType")] string RefType,
    [property: JsonPropertyName("traceID")] string TraceId,
    [property: JsonPropertyName("spanID")] string SpanId);

/// <summary>A tag or log field: <c>type</c> is string, bool, int64, float64 or binary.</summary>
public sealed record JaegerKeyValue(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] object Value);

public sealed record JaegerLog(
    [property: JsonPropertyName("timestamp")] ulong Timestamp,
    [property: JsonPropertyName("fields")] IReadOnlyList<JaegerKeyValue> Fields);

public sealed record JaegerProcess(
    [property: JsonPropertyName("serviceName")] string ServiceName,
    [property: JsonPropertyName("tags")] IReadOnlyList<JaegerKeyValue> Tags);

/// <summary>An entry of <c>/api/operations</c>.</summary>
public sealed record JaegerOperation(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("spanKind")] string SpanKind);

/// <summary>An edge of <c>/api/dependencies</c>.</summary>
public sealed record JaegerDependency(
    [property: JsonPropertyName("parent")] string Parent,
    [property: JsonPropertyName("child")] string Child,
    [property: JsonPropertyName("callCount")] long CallCount);

// Jaeger v2's OTLP-based query API (api_v3, idl/proto/api_v3/query_service.proto) as its HTTP gateway writes it:
// proto3 JSON names. Traces are OTLP JSON inside {"result": ...}, written by TraceResult.

/// <summary><c>GET /api/v3/services</c>: <c>{"services":[...]}</c>.</summary>
public sealed record JaegerV3Services([property: JsonPropertyName("services")] IReadOnlyList<string> Services);

/// <summary><c>GET /api/v3/operations</c>: <c>{"operations":[{"name","spanKind"}]}</c>.</summary>
public sealed record JaegerV3Operations([property: JsonPropertyName("operations")] IReadOnlyList<JaegerV3Operation> Operations);

public sealed record JaegerV3Operation(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("spanKind")] string SpanKind);

/// <summary>api_v3's <c>GRPCGatewayError</c>: <c>{"error":{"httpCode":400,"message":"..."}}</c>.</summary>
public sealed record JaegerV3Error([property: JsonPropertyName("error")] JaegerV3ErrorDetails Error);

public sealed record JaegerV3ErrorDetails(
    [property: JsonPropertyName("httpCode")] int HttpCode,
    [property: JsonPropertyName("message")] string Message);
