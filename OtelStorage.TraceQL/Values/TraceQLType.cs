namespace OtelStorage.TraceQL.Values;

/// <summary>The type of a <see cref="TraceQLValue"/>: a literal in a query, an attribute or intrinsic of a span, or a computed value.</summary>
public enum TraceQLType
{
    /// <summary>No value: a missing attribute, or the literal <c>nil</c>.</summary>
    Nil,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,

    /// <summary>A signed 64-bit integer.</summary>
    Int,

    /// <summary>A 64-bit floating point number.</summary>
    Float,

    /// <summary>A string.</summary>
    String,

    /// <summary>A duration in nanoseconds, such as <c>100ms</c>.</summary>
    Duration,

    /// <summary>A span status: <c>error</c>, <c>ok</c> or <c>unset</c>.</summary>
    Status,

    /// <summary>A span kind: <c>unspecified</c>, <c>internal</c>, <c>server</c>, <c>client</c>, <c>producer</c> or <c>consumer</c>.</summary>
    Kind,

    /// <summary>An array attribute of integers.</summary>
    IntArray,

    /// <summary>An array attribute of floats.</summary>
    FloatArray,

    /// <summary>An array attribute of strings.</summary>
    StringArray,

    /// <summary>An array attribute of booleans.</summary>
    BoolArray,
}
