using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Ast;

/// <summary>A whole query: a pipeline and the hints after <c>with</c>.</summary>
public sealed record QueryExpression(Pipeline Pipeline, EquatableArray<QueryHint> Hints) : Node;

/// <summary>A query hint such as <c>most_recent=true</c> in <c>with (most_recent=true)</c>.</summary>
public sealed record QueryHint(string Name, TraceQLValue Value) : Node;
