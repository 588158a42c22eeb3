using OtelStorage.TraceQL.Ast;

namespace OtelStorage.TraceQL.Conditions;

/// <summary>
/// What a store may use to skip blocks and rows before evaluating a query, like Tempo's <c>FetchSpansRequest</c>.
/// </summary>
/// <param name="Items">The conditions on fields, once each. Every field the evaluator reads appears here, with <see cref="ConditionOperator.None"/> if nothing more is known about it.</param>
/// <param name="AllConditions">
/// True when every span that can appear in a result satisfies every item: a store may then drop spans, rows and blocks
/// that fail any one. False when <c>||</c>, an operation between span sets, or several pipelines are involved; the
/// items then only name what to read.
/// </param>
/// <param name="NeedsWholeTrace">
/// True when matching depends on other spans of the trace: structure, <c>&amp;&amp;</c> and <c>||</c> between span sets,
/// aggregates, <c>by()</c>, <c>coalesce()</c>, <c>traceDuration</c>, the root intrinsics or <c>span:childCount</c>. The
/// store must then hand the evaluator every span of each candidate trace, gathered across blocks.
/// </param>
/// <param name="SelectFields">Fields to return with each matched span (<c>select()</c>), which matching itself does not need.</param>
public sealed record QueryConditions(
    EquatableArray<Condition> Items,
    bool AllConditions,
    bool NeedsWholeTrace,
    EquatableArray<FieldReference> SelectFields);
