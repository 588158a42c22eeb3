namespace OtelStorage.TraceQL.Model;

/// <summary>The instrumentation scope (library) that produced a span: <c>instrumentation:name</c>, <c>instrumentation:version</c> and <c>instrumentation.*</c>.</summary>
public sealed class InstrumentationScope
{
    /// <summary>A scope with no name, version or attributes.</summary>
    public static InstrumentationScope Empty { get; } = new();

    /// <summary>The scope name; empty when the exporter sent none.</summary>
    public string Name { get; init; } = "";

    /// <summary>The scope version; empty when the exporter sent none.</summary>
    public string Version { get; init; } = "";

    /// <summary>The scope's attributes.</summary>
    public IReadOnlyList<KeyValue> Attributes { get; init; } = [];
}
