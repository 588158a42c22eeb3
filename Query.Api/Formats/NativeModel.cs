using System.Globalization;
using System.Text.Json.Serialization;
using OpenTelemetry.Proto.Common.V1;
using OtelStorage.Storage.Blocks;
using Query.Api.Reading;

namespace Query.Api.Formats;

/// <summary>One span of a <c>/spans</c> answer: the promoted fields, then attributes as plain JSON values.</summary>
public sealed record SpanSummary(
    string TraceId,
    string SpanId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ParentSpanId,
    string Service,
    string Name,
    int Kind,
    string StartTimeUnixNano,
    string EndTimeUnixNano,
    long DurationNanos,
    int StatusCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] string? StatusMessage,
    IReadOnlyDictionary<string, object?> Attributes)
{
    public static SpanSummary From(StoredSpan stored)
    {
        var s = stored.Span;
        var attributes = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in s.Attributes)
        {
            attributes[kv.Key] = Plain(kv.Value);
        }

        return new SpanSummary(
            Convert.ToHexStringLower(s.TraceId.Span),
            Convert.ToHexStringLower(s.SpanId.Span),
            s.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(s.ParentSpanId.Span),
            stored.ServiceName,
            s.Name,
            (int)s.Kind,
            s.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture),
            s.EndTimeUnixNano.ToString(CultureInfo.InvariantCulture),
            s.EndTimeUnixNano >= s.StartTimeUnixNano ? (long)(s.EndTimeUnixNano - s.StartTimeUnixNano) : 0,
            (int)(s.Status?.Code ?? 0),
            string.IsNullOrEmpty(s.Status?.Message) ? null : s.Status.Message,
            attributes);
    }

    private static object? Plain(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value.DoubleValue) => value.DoubleValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(Plain).ToList(),
        AnyValue.ValueOneofCase.KvlistValue => value.KvlistValue.Values.ToDictionary(kv => kv.Key, kv => Plain(kv.Value)),
        _ => null,
    };
}

/// <summary>What a search read, for operators tuning queries.</summary>
public sealed record SearchMetrics(int TotalBlocks, int BlocksConsidered, int BlocksRead, long BytesRead);

/// <summary><c>partial</c> is true when <c>Query:SearchTimeout</c> cut the search short; <c>warning</c> then says why.</summary>
public sealed record SpansResponse(IReadOnlyList<SpanSummary> Spans, int Limit, SearchMetrics Metrics, bool Partial, string? Warning);

public sealed record ServicesResponse(IReadOnlyList<ServiceSummary> Services);

public sealed record OperationsResponse(string Service, IReadOnlyList<OperationSummary> Operations);

public sealed record DependenciesResponse(IReadOnlyList<DependencySummary> Dependencies);
