using System.Text.Json.Serialization;

namespace Query.Api.Formats;

// Tempo's HTTP API shapes (tempopb, written with the protobuf JSON mapping: lowerCamelCase, 64-bit integers as strings).

public sealed record TempoSearchResponse(
    [property: JsonPropertyName("traces")] IReadOnlyList<TempoTraceSearchMetadata> Traces,
    [property: JsonPropertyName("metrics")] TempoSearchMetrics Metrics);

public sealed record TempoTraceSearchMetadata(
    [property: JsonPropertyName("traceID")] string TraceId,
    [property: JsonPropertyName("rootServiceName")] string RootServiceName,
    [property: JsonPropertyName("rootTraceName")] string RootTraceName,
    [property: JsonPropertyName("startTimeUnixNano")] string StartTimeUnixNano,
    [property: JsonPropertyName("durationMs")] long DurationMs,
    [property: JsonPropertyName("spanSet")] TempoSpanSet SpanSet,
    [property: JsonPropertyName("spanSets")] IReadOnlyList<TempoSpanSet> SpanSets);

public sealed record TempoSpanSet(
    [property: JsonPropertyName("spans")] IReadOnlyList<TempoSpan> Spans,
    [property: JsonPropertyName("matched")] int Matched,
    [property: JsonPropertyName("attributes")] IReadOnlyList<TempoKeyValue> Attributes);

public sealed record TempoSpan(
    [property: JsonPropertyName("spanID")] string SpanId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("startTimeUnixNano")] string StartTimeUnixNano,
    [property: JsonPropertyName("durationNanos")] string DurationNanos,
    [property: JsonPropertyName("attributes")] IReadOnlyList<TempoKeyValue> Attributes);

public sealed record TempoKeyValue(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] TempoAnyValue Value);

/// <summary>An OTLP AnyValue in its JSON form, scalar kinds only (search results carry scalars).</summary>
public sealed record TempoAnyValue(
    [property: JsonPropertyName("stringValue"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StringValue = null,
    [property: JsonPropertyName("intValue"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? IntValue = null,
    [property: JsonPropertyName("boolValue"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? BoolValue = null,
    [property: JsonPropertyName("doubleValue"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DoubleValue = null);

public sealed record TempoSearchMetrics(
    [property: JsonPropertyName("inspectedTraces")] int InspectedTraces,
    [property: JsonPropertyName("inspectedBytes")] string InspectedBytes,
    [property: JsonPropertyName("inspectedBlocks")] int InspectedBlocks,
    [property: JsonPropertyName("totalBlocks")] int TotalBlocks);

public sealed record TempoBuildInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("revision")] string Revision,
    [property: JsonPropertyName("branch")] string Branch,
    [property: JsonPropertyName("buildUser")] string BuildUser,
    [property: JsonPropertyName("buildDate")] string BuildDate,
    [property: JsonPropertyName("goVersion")] string GoVersion);

public sealed record TempoTagNames([property: JsonPropertyName("tagNames")] IReadOnlyList<string> TagNames);

public sealed record TempoTagScope(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

public sealed record TempoTagScopes(
    [property: JsonPropertyName("scopes")] IReadOnlyList<TempoTagScope> Scopes,
    [property: JsonPropertyName("metrics")] TempoTagMetrics Metrics);

/// <summary>
/// Tempo's <c>MetadataMetrics</c> (64-bit counts as strings, as Tempo's JSON writes them), and <c>truncated</c>, true
/// when <c>limit</c> or <c>Query:MaxBytesPerTagValuesQuery</c> cut the list.
/// </summary>
public sealed record TempoTagMetrics(
    [property: JsonPropertyName("inspectedBytes")] string InspectedBytes,
    [property: JsonPropertyName("totalJobs")] int TotalJobs,
    [property: JsonPropertyName("completedJobs")] int CompletedJobs,
    [property: JsonPropertyName("totalBlocks")] int TotalBlocks,
    [property: JsonPropertyName("totalBlockBytes")] string TotalBlockBytes,
    [property: JsonPropertyName("truncated")] bool Truncated);

public sealed record TempoTagValue(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

public sealed record TempoTagValues(
    [property: JsonPropertyName("tagValues")] IReadOnlyList<TempoTagValue> TagValues,
    [property: JsonPropertyName("metrics")] TempoTagMetrics Metrics);

public sealed record TempoTagValuesV1([property: JsonPropertyName("tagValues")] IReadOnlyList<string> TagValues);
