using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// One span set a query returned for a trace: its spans, in the trace's order, and the values the pipeline attached to it,
/// such as <c>by(resource.service.name)</c> and <c>count()</c>. A trace matches when it returns at least one.
/// </summary>
public sealed record SpansetResult(IReadOnlyList<MatchedSpan> Spans, IReadOnlyList<SpansetAttribute> Attributes);

/// <summary>A span in a result, with the values of the fields <c>select()</c> asked for that the span has.</summary>
public sealed record MatchedSpan(TraceSpan Span, IReadOnlyList<SelectedValue> Selected);

/// <summary>The value of a <c>select()</c>ed field on one span.</summary>
public readonly record struct SelectedValue(FieldReference Field, TraceQLValue Value);

/// <summary>A value attached to a whole span set, named as Tempo names it: <c>by(resource.service.name)</c>, <c>count()</c>, <c>avg(duration)</c>.</summary>
public readonly record struct SpansetAttribute(string Name, TraceQLValue Value);
