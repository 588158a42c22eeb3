namespace OtelStorage.TraceQL.Values;

/// <summary>A span's kind, numbered as OTLP numbers it.</summary>
public enum SpanKind
{
    /// <summary>TraceQL <c>unspecified</c>.</summary>
    Unspecified = 0,

    /// <summary>TraceQL <c>internal</c>.</summary>
    Internal = 1,

    /// <summary>TraceQL <c>server</c>.</summary>
    Server = 2,

    /// <summary>TraceQL <c>client</c>.</summary>
    Client = 3,

    /// <summary>TraceQL <c>producer</c>.</summary>
    Producer = 4,

    /// <summary>TraceQL <c>consumer</c>.</summary>
    Consumer = 5,
}
