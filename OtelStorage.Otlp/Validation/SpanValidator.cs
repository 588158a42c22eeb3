using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Otlp.Validation;

/// <summary>The outcome of validating one request: how many spans were kept and rejected, and the first problem found.</summary>
public readonly record struct ValidationResult(int AcceptedSpans, int RejectedSpans, string? FirstError)
{
    public int ReceivedSpans => AcceptedSpans + RejectedSpans;
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
    public static string? Validate(Span span)
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

        if (span.EndTimeUnixNano < span.StartTimeUnixNano)
        {
            return $"endTimeUnixNano ({span.EndTimeUnixNano}) must not be before startTimeUnixNano ({span.StartTimeUnixNano})";
        }

        return null;
    }

    /// <summary>
    /// Removes every invalid span from <paramref name="request"/>. The first problem is described with its
    /// position, for example <c>resourceSpans[0].scopeSpans[1].spans[7]: name must not be empty</c>.
    /// </summary>
    public static ValidationResult RemoveInvalidSpans(ExportTraceServiceRequest request)
    {
        var accepted = 0;
        var rejected = 0;
        string? firstError = null;
        var resourceSpans = request.ResourceSpans;
        for (var r = 0; r < resourceSpans.Count; r++)
        {
            var scopeSpans = resourceSpans[r].ScopeSpans;
            for (var s = 0; s < scopeSpans.Count; s++)
            {
                var spans = scopeSpans[s].Spans;
                // Compact in place: the common all-valid case moves nothing.
                var kept = 0;
                for (var i = 0; i < spans.Count; i++)
                {
                    var span = spans[i];
                    var error = Validate(span);
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
