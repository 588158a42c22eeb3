using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Model;

/// <summary>One span as the evaluator sees it: identity, intrinsics, and the attributes of every TraceQL scope.</summary>
public sealed class TraceSpan
{
    /// <summary>The ID of the trace the span belongs to.</summary>
    public byte[] TraceId { get; init; } = [];

    /// <summary>The span's ID.</summary>
    public byte[] SpanId { get; init; } = [];

    /// <summary>The parent span's ID; empty for a root span.</summary>
    public byte[] ParentSpanId { get; init; } = [];

    /// <summary>The operation name (<c>name</c>).</summary>
    public string Name { get; init; } = "";

    /// <summary>The span kind (<c>kind</c>).</summary>
    public SpanKind Kind { get; init; }

    /// <summary>The status code (<c>status</c>).</summary>
    public SpanStatus Status { get; init; }

    /// <summary>The status message (<c>statusMessage</c>).</summary>
    public string StatusMessage { get; init; } = "";

    /// <summary>Start, in nanoseconds since the Unix epoch.</summary>
    public long StartUnixNanos { get; init; }

    /// <summary>End, in nanoseconds since the Unix epoch.</summary>
    public long EndUnixNanos { get; init; }

    /// <summary>Span attributes (<c>span.*</c>).</summary>
    public IReadOnlyList<KeyValue> Attributes { get; init; } = [];

    /// <summary>Attributes of the resource that emitted the span, including <c>service.name</c> (<c>resource.*</c>).</summary>
    public IReadOnlyList<KeyValue> ResourceAttributes { get; init; } = [];

    /// <summary>The instrumentation scope that produced the span.</summary>
    public InstrumentationScope Scope { get; init; } = InstrumentationScope.Empty;

    /// <summary>The span's events.</summary>
    public IReadOnlyList<SpanEvent> Events { get; init; } = [];

    /// <summary>The span's links.</summary>
    public IReadOnlyList<SpanLink> Links { get; init; } = [];

    /// <summary>End minus start (<c>duration</c>).</summary>
    public long DurationNanos => EndUnixNanos - StartUnixNanos;

    /// <summary>True when the span has no parent.</summary>
    public bool IsRoot => ParentSpanId.Length == 0;
}
