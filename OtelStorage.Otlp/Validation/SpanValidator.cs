using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Otlp.Validation;

/// <summary>The outcome of validating one request: how many spans were kept and rejected, and the first problem found.</summary>
public readonly record struct ValidationResult(int AcceptedSpans, int RejectedSpans, string? FirstError)
{
    public int ReceivedSpans => AcceptedSpans + RejectedSpans;
}

/// <summary>Size limits a span must keep to.</summary>
/// <param name="MaxAttributeValueBytes">
/// The largest string (UTF-8) or bytes value of one attribute of a span, its events, its links, its resource or its
/// scope, nested values included; and the largest span name. Names are operations: every block's metadata lists them,
/// and Query.Api keeps that metadata in memory, so one unbounded name costs memory for as long as its blocks live.
/// </param>
public readonly record struct SpanLimits(int MaxAttributeValueBytes)
{
    /// <summary>128 KiB: room for SQL statements and stack traces, not for whole payloads.</summary>
    public static SpanLimits Default { get; } = new(128 * 1024);
}

/// <summary>
/// Per-span validation of OTLP trace data. Invalid spans are removed from the request in place, so the
/// valid ones can be published without re-encoding anything else
/// (https://opentelemetry.io/docs/specs/otlp/#partial-success).
/// </summary>
public static class SpanValidator
{
    public const int TraceIdLength = 16;
    public const int SpanIdLength = 8;

    /// <summary>Why <paramref name="span"/> is invalid, or null when it is valid.</summary>
    public static string? Validate(Span span) => Validate(span, SpanLimits.Default);

    /// <summary>Why <paramref name="span"/> is invalid under <paramref name="limits"/>, or null when it is valid.</summary>
    public static string? Validate(Span span, SpanLimits limits)
    {
        var traceId = span.TraceId.Span;
        if (traceId.Length != TraceIdLength)
        {
            return $"traceId must be {TraceIdLength} bytes ({TraceIdLength * 2} hex characters), got {traceId.Length}";
        }

        if (!traceId.ContainsAnyExcept((byte)0))
        {
            return "traceId must not be all zeros";
        }

        var spanId = span.SpanId.Span;
        if (spanId.Length != SpanIdLength)
        {
            return $"spanId must be {SpanIdLength} bytes ({SpanIdLength * 2} hex characters), got {spanId.Length}";
        }

        if (!spanId.ContainsAnyExcept((byte)0))
        {
            return "spanId must not be all zeros";
        }

        // An empty parent means a root span; any other length cannot name a span.
        var parentLength = span.ParentSpanId.Length;
        if (parentLength != 0 && parentLength != SpanIdLength)
        {
            return $"parentSpanId must be empty or {SpanIdLength} bytes, got {parentLength}";
        }

        if (span.Name.Length == 0)
        {
            return "name must not be empty";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(span.Name) is var nameBytes && nameBytes > limits.MaxAttributeValueBytes)
        {
            return $"name is {nameBytes} bytes, over the {limits.MaxAttributeValueBytes}-byte limit";
        }

        if (span.EndTimeUnixNano < span.StartTimeUnixNano)
        {
            return $"endTimeUnixNano ({span.EndTimeUnixNano}) must not be before startTimeUnixNano ({span.StartTimeUnixNano})";
        }

        var oversize = OversizeAttribute(span.Attributes, limits);
        for (var i = 0; oversize is null && i < span.Events.Count; i++)
        {
            oversize = OversizeAttribute(span.Events[i].Attributes, limits) is { } key ? $"events[{i}] {key}" : null;
        }

        for (var i = 0; oversize is null && i < span.Links.Count; i++)
        {
            oversize = OversizeAttribute(span.Links[i].Attributes, limits) is { } key ? $"links[{i}] {key}" : null;
        }

        return oversize is null ? null : OversizeMessage(oversize, limits);
    }

    private static string OversizeMessage(string attribute, SpanLimits limits) =>
        $"attribute {attribute} is over the {limits.MaxAttributeValueBytes}-byte value limit";

    /// <summary>The key of the first attribute whose value (or a nested one) is over the limit, or null.</summary>
    private static string? OversizeAttribute(RepeatedField<KeyValue> attributes, SpanLimits limits)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Value is { } value && IsOversize(value, limits.MaxAttributeValueBytes))
            {
                return $"'{(attributes[i].Key.Length <= 100 ? attributes[i].Key : attributes[i].Key[..100] + "…")}'";
            }
        }

        return null;
    }

    private static bool IsOversize(AnyValue value, int maxBytes) => value.ValueCase switch
    {
        // A UTF-16 length at most a third of the limit cannot exceed it in UTF-8: most values skip the count.
        AnyValue.ValueOneofCase.StringValue => value.StringValue.Length > maxBytes / 3 && System.Text.Encoding.UTF8.GetByteCount(value.StringValue) > maxBytes,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.Length > maxBytes,
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Any(v => IsOversize(v, maxBytes)),
        AnyValue.ValueOneofCase.KvlistValue => value.KvlistValue.Values.Any(kv => kv.Value is { } v && IsOversize(v, maxBytes)),
        _ => false,
    };

    /// <summary>The number of spans in <paramref name="request"/>.</summary>
    public static long CountSpans(ExportTraceServiceRequest request)
    {
        long spans = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                spans += scopeSpans.Spans.Count;
            }
        }

        return spans;
    }

    /// <summary>
    /// Removes every invalid span from <paramref name="request"/>. The first problem is described with its
    /// position, for example <c>resourceSpans[0].scopeSpans[1].spans[7]: name must not be empty</c>.
    /// </summary>
    public static ValidationResult RemoveInvalidSpans(ExportTraceServiceRequest request) => RemoveInvalidSpans(request, SpanLimits.Default);

    /// <inheritdoc cref="RemoveInvalidSpans(ExportTraceServiceRequest)"/>
    public static ValidationResult RemoveInvalidSpans(ExportTraceServiceRequest request, SpanLimits limits)
    {
        var accepted = 0;
        var rejected = 0;
        string? firstError = null;
        var resourceSpans = request.ResourceSpans;
        // r and s are positions in the request as received: removing an entry does not renumber those after it.
        for (int r = 0, next = 0; next < resourceSpans.Count; r++)
        {
            // An oversize resource or scope attribute would be stored with each of its spans: it rejects them all,
            // and the entry goes, so that what is published holds no part of it.
            var resource = resourceSpans[next];
            if (resource.Resource is { } shared && OversizeAttribute(shared.Attributes, limits) is { } resourceKey)
            {
                var spans = resource.ScopeSpans.Sum(scope => scope.Spans.Count);
                rejected += spans;
                firstError ??= spans > 0 ? $"resourceSpans[{r}].resource: {OversizeMessage(resourceKey, limits)}" : null;
                resourceSpans.RemoveAt(next);
                continue;
            }

            next++;
            var scopeSpans = resource.ScopeSpans;
            for (int s = 0, nextScope = 0; nextScope < scopeSpans.Count; s++)
            {
                var spans = scopeSpans[nextScope].Spans;
                if (scopeSpans[nextScope].Scope is { } scope && OversizeAttribute(scope.Attributes, limits) is { } scopeKey)
                {
                    rejected += spans.Count;
                    firstError ??= spans.Count > 0 ? $"resourceSpans[{r}].scopeSpans[{s}].scope: {OversizeMessage(scopeKey, limits)}" : null;
                    scopeSpans.RemoveAt(nextScope);
                    continue;
                }

                nextScope++;

                // Compact in place: the common all-valid case moves nothing.
                var kept = 0;
                for (var i = 0; i < spans.Count; i++)
                {
                    var span = spans[i];
                    var error = Validate(span, limits);
                    if (error is null)
                    {
                        if (kept != i)
                        {
                            spans[kept] = span;
                        }

                        kept++;
                        continue;
                    }

                    rejected++;
                    firstError ??= $"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]: {error}";
                }

                for (var i = spans.Count - 1; i >= kept; i--)
                {
                    spans.RemoveAt(i);
                }

                accepted += kept;
            }
        }

        return new ValidationResult(accepted, rejected, firstError);
    }
}
