namespace OtelStorage.TraceQL.Model;

/// <summary>A link from a span to another span, possibly in another trace: <c>link:traceID</c>, <c>link:spanID</c> and <c>link.*</c>.</summary>
public sealed class SpanLink
{
    /// <summary>The linked trace's ID.</summary>
    public byte[] TraceId { get; init; } = [];

    /// <summary>The linked span's ID.</summary>
    public byte[] SpanId { get; init; } = [];

    /// <summary>The link's attributes.</summary>
    public IReadOnlyList<KeyValue> Attributes { get; init; } = [];
}
