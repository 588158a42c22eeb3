namespace OtelStorage.TraceQL.Values;

/// <summary>A span's status code, numbered as OTLP numbers it.</summary>
public enum SpanStatus
{
    /// <summary>No status was set (TraceQL <c>unset</c>).</summary>
    Unset = 0,

    /// <summary>TraceQL <c>ok</c>.</summary>
    Ok = 1,

    /// <summary>TraceQL <c>error</c>.</summary>
    Error = 2,
}
