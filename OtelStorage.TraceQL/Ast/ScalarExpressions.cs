using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Ast;

/// <summary>A value computed from a whole span set: an aggregate, a number, or arithmetic on those.</summary>
public abstract record ScalarExpression : Node;

/// <summary><c>count()</c>, or <c>avg</c>, <c>min</c>, <c>max</c>, <c>sum</c> of a field expression over the span set's spans.</summary>
public sealed record AggregateExpression(AggregateFunction Function, FieldExpression? Argument) : ScalarExpression;

/// <summary>A number or duration a scalar is compared with.</summary>
public sealed record ScalarLiteral(TraceQLValue Value) : ScalarExpression;

/// <summary>Arithmetic between scalars, such as <c>count() + 1</c>.</summary>
public sealed record ScalarBinaryExpression(BinaryOperator Operator, ScalarExpression Left, ScalarExpression Right) : ScalarExpression;

/// <summary>An aggregate at the end of a parenthesized pipeline: <c>({ status = error } | count())</c>.</summary>
public sealed record PipelineAggregate(Pipeline Source, AggregateExpression Aggregate) : ScalarExpression;
