namespace OtelStorage.TraceQL.Ast;

/// <summary>Where an attribute is looked up.</summary>
public enum AttributeScope
{
    /// <summary>Unscoped <c>.x</c>: the span attribute if the span has it, otherwise the resource attribute.</summary>
    None,

    /// <summary><c>span.x</c></summary>
    Span,

    /// <summary><c>resource.x</c></summary>
    Resource,

    /// <summary><c>event.x</c>: an attribute of one of the span's events.</summary>
    Event,

    /// <summary><c>link.x</c>: an attribute of one of the span's links.</summary>
    Link,

    /// <summary><c>instrumentation.x</c>: an attribute of the span's instrumentation scope.</summary>
    Instrumentation,
}
