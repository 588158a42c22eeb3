namespace OtelStorage.TraceQL.Model;

/// <summary>An event recorded on a span: <c>event:name</c>, <c>event:timeSinceStart</c> and <c>event.*</c>.</summary>
public sealed class SpanEvent
{
    /// <summary>The event name.</summary>
    public string Name { get; init; } = "";

    /// <summary>When the event happened, in nanoseconds since the Unix epoch.</summary>
    public long TimeUnixNanos { get; init; }

    /// <summary>The event's attributes.</summary>
    public IReadOnlyList<KeyValue> Attributes { get; init; } = [];
}
