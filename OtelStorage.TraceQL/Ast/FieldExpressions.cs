using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Ast;

/// <summary>An expression evaluated on one span: the inside of <c>{ ... }</c>, the argument of <c>avg()</c> or <c>by()</c>.</summary>
public abstract record FieldExpression : Node;

/// <summary>A field of a span: an attribute or an intrinsic. <c>select()</c> takes these.</summary>
public abstract record FieldReference : FieldExpression;

/// <summary>An attribute such as <c>span.http.route</c>, <c>resource.service.name</c> or unscoped <c>.foo</c>.</summary>
/// <param name="Scope">Where the attribute is looked up.</param>
/// <param name="Name">The attribute key, with quoted parts unquoted.</param>
public sealed record AttributeReference(AttributeScope Scope, string Name) : FieldReference;

/// <summary>An intrinsic such as <c>duration</c> or <c>trace:rootService</c>.</summary>
/// <param name="Intrinsic">Which intrinsic.</param>
/// <param name="Spelling">How the query wrote it, such as <c>traceDuration</c> or <c>trace:duration</c>.</param>
public sealed record IntrinsicReference(Intrinsic Intrinsic, string Spelling) : FieldReference;

/// <summary>A literal: a string, number, duration, boolean, status, kind or <c>nil</c>.</summary>
public sealed record Literal(TraceQLValue Value) : FieldExpression;

/// <summary>Arithmetic, a comparison, or <c>&amp;&amp;</c> / <c>||</c> between two field expressions.</summary>
public sealed record BinaryExpression(BinaryOperator Operator, FieldExpression Left, FieldExpression Right) : FieldExpression;

/// <summary><c>!x</c>, <c>-x</c>, <c>x != nil</c> or <c>x = nil</c>.</summary>
public sealed record UnaryExpression(UnaryOperator Operator, FieldExpression Operand) : FieldExpression;
