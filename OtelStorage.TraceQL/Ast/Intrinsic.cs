using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Ast;

/// <summary>A field every span has without an attribute: <c>name</c>, <c>duration</c>, <c>trace:rootService</c>...</summary>
public enum Intrinsic
{
    /// <summary><c>duration</c>, <c>span:duration</c>: end minus start.</summary>
    Duration,

    /// <summary><c>name</c>, <c>span:name</c>.</summary>
    Name,

    /// <summary><c>status</c>, <c>span:status</c>.</summary>
    Status,

    /// <summary><c>statusMessage</c>, <c>span:statusMessage</c>.</summary>
    StatusMessage,

    /// <summary><c>kind</c>, <c>span:kind</c>.</summary>
    Kind,

    /// <summary><c>childCount</c>, <c>span:childCount</c>: the number of direct children.</summary>
    ChildCount,

    /// <summary><c>span:id</c>, in hex.</summary>
    SpanId,

    /// <summary><c>span:parentID</c>, in hex; nil for a root span.</summary>
    ParentId,

    /// <summary><c>trace:id</c>, in hex.</summary>
    TraceId,

    /// <summary><c>traceDuration</c>, <c>trace:duration</c>: the latest end minus the earliest start over the trace's spans.</summary>
    TraceDuration,

    /// <summary><c>rootName</c>, <c>trace:rootName</c>: the root span's name.</summary>
    TraceRootName,

    /// <summary><c>rootServiceName</c>, <c>trace:rootService</c>: the root span's <c>service.name</c>.</summary>
    TraceRootService,

    /// <summary><c>event:name</c>.</summary>
    EventName,

    /// <summary><c>event:timeSinceStart</c>: the event's time minus the span's start.</summary>
    EventTimeSinceStart,

    /// <summary><c>link:traceID</c>, in hex.</summary>
    LinkTraceId,

    /// <summary><c>link:spanID</c>, in hex.</summary>
    LinkSpanId,

    /// <summary><c>instrumentation:name</c>.</summary>
    InstrumentationName,

    /// <summary><c>instrumentation:version</c>.</summary>
    InstrumentationVersion,
}

/// <summary>Spellings, types and reach of the intrinsics.</summary>
public static class Intrinsics
{
    private static readonly Dictionary<string, Intrinsic> Unscoped = new(StringComparer.Ordinal)
    {
        ["duration"] = Intrinsic.Duration,
        ["name"] = Intrinsic.Name,
        ["status"] = Intrinsic.Status,
        ["statusMessage"] = Intrinsic.StatusMessage,
        ["kind"] = Intrinsic.Kind,
        ["childCount"] = Intrinsic.ChildCount,
        ["traceDuration"] = Intrinsic.TraceDuration,
        ["rootName"] = Intrinsic.TraceRootName,
        ["rootServiceName"] = Intrinsic.TraceRootService,
    };

    private static readonly Dictionary<string, Intrinsic> Scoped = new(StringComparer.Ordinal)
    {
        ["span:duration"] = Intrinsic.Duration,
        ["span:name"] = Intrinsic.Name,
        ["span:status"] = Intrinsic.Status,
        ["span:statusMessage"] = Intrinsic.StatusMessage,
        ["span:kind"] = Intrinsic.Kind,
        ["span:childCount"] = Intrinsic.ChildCount,
        ["span:id"] = Intrinsic.SpanId,
        ["span:parentID"] = Intrinsic.ParentId,
        ["trace:id"] = Intrinsic.TraceId,
        ["trace:duration"] = Intrinsic.TraceDuration,
        ["trace:rootName"] = Intrinsic.TraceRootName,
        ["trace:rootService"] = Intrinsic.TraceRootService,
        ["event:name"] = Intrinsic.EventName,
        ["event:timeSinceStart"] = Intrinsic.EventTimeSinceStart,
        ["link:traceID"] = Intrinsic.LinkTraceId,
        ["link:spanID"] = Intrinsic.LinkSpanId,
        ["instrumentation:name"] = Intrinsic.InstrumentationName,
        ["instrumentation:version"] = Intrinsic.InstrumentationVersion,
    };

    /// <summary>The scoped spellings, for error messages and autocompletion.</summary>
    public static IEnumerable<string> ScopedNames => Scoped.Keys;

    /// <summary>The intrinsic an unscoped word such as <c>duration</c> names, if any.</summary>
    public static bool TryFromUnscoped(string word, out Intrinsic intrinsic) => Unscoped.TryGetValue(word, out intrinsic);

    /// <summary>The intrinsic a scoped name such as <c>span:id</c> names, if any.</summary>
    public static bool TryFromScoped(string name, out Intrinsic intrinsic) => Scoped.TryGetValue(name, out intrinsic);

    /// <summary>The scoped spelling, such as <c>span:duration</c>.</summary>
    public static string ScopedName(Intrinsic intrinsic) => Scoped.First(pair => pair.Value == intrinsic).Key;

    /// <summary>The type of the intrinsic's values.</summary>
    public static TraceQLType TypeOf(Intrinsic intrinsic) => intrinsic switch
    {
        Intrinsic.Duration or Intrinsic.TraceDuration or Intrinsic.EventTimeSinceStart => TraceQLType.Duration,
        Intrinsic.Status => TraceQLType.Status,
        Intrinsic.Kind => TraceQLType.Kind,
        Intrinsic.ChildCount => TraceQLType.Int,
        _ => TraceQLType.String,
    };

    /// <summary>True for intrinsics computed from the whole trace: trace duration, root name and service, child count.</summary>
    public static bool NeedsWholeTrace(Intrinsic intrinsic) =>
        intrinsic is Intrinsic.TraceDuration or Intrinsic.TraceRootName or Intrinsic.TraceRootService or Intrinsic.ChildCount;

    /// <summary>True for the intrinsics whose values are IDs in hex.</summary>
    public static bool IsId(Intrinsic intrinsic) =>
        intrinsic is Intrinsic.SpanId or Intrinsic.ParentId or Intrinsic.TraceId or Intrinsic.LinkTraceId or Intrinsic.LinkSpanId;

    /// <summary>The scope an intrinsic belongs to: events and links bind one event or link at a time.</summary>
    public static AttributeScope ScopeOf(Intrinsic intrinsic) => intrinsic switch
    {
        Intrinsic.EventName or Intrinsic.EventTimeSinceStart => AttributeScope.Event,
        Intrinsic.LinkTraceId or Intrinsic.LinkSpanId => AttributeScope.Link,
        Intrinsic.InstrumentationName or Intrinsic.InstrumentationVersion => AttributeScope.Instrumentation,
        _ => AttributeScope.Span,
    };
}
