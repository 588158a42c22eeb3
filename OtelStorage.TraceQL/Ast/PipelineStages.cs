namespace OtelStorage.TraceQL.Ast;

/// <summary>
/// One stage of a pipeline: it takes the span sets of one trace and returns span sets. Stages the library does not evaluate
/// yet, such as TraceQL metrics functions, will be further subtypes.
/// </summary>
public abstract record PipelineStage : Node;

/// <summary>A stage that selects spans: a filter, an operation between span sets, or a parenthesized pipeline.</summary>
public abstract record SpansetExpression : PipelineStage;

/// <summary><c>{ condition }</c>: the spans for which the condition is true. A null condition is <c>{ }</c>, every span.</summary>
public sealed record SpansetFilter(FieldExpression? Condition) : SpansetExpression;

/// <summary><c>left op right</c> between span sets: <c>&amp;&amp;</c>, <c>||</c> or a structural operator.</summary>
public sealed record SpansetOperation(SpansetOperator Operator, SpansetExpression Left, SpansetExpression Right) : SpansetExpression;

/// <summary>Stages joined by <c>|</c>. The root of every query is a pipeline; in parentheses one is also a span set expression.</summary>
public sealed record Pipeline(EquatableArray<PipelineStage> Stages) : SpansetExpression;

/// <summary><c>count() &gt; 2</c>: keeps the span sets for which the comparison of two scalars holds.</summary>
public sealed record ScalarFilter(BinaryOperator Operator, ScalarExpression Left, ScalarExpression Right) : PipelineStage;

/// <summary><c>by(expression)</c>: splits each span set into one per value of the expression.</summary>
public sealed record GroupStage(FieldExpression Expression) : PipelineStage;

/// <summary><c>coalesce()</c>: merges the span sets of a trace back into one.</summary>
public sealed record CoalesceStage : PipelineStage;

/// <summary><c>select(a, b)</c>: returns these fields with every matched span.</summary>
public sealed record SelectStage(EquatableArray<FieldReference> Fields) : PipelineStage;
