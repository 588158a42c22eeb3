using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Checking;
using OtelStorage.TraceQL.Conditions;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Parsing;

namespace OtelStorage.TraceQL;

/// <summary>
/// A parsed and checked TraceQL search query: parse once with <see cref="Parse"/>, hand <see cref="Conditions"/> to the
/// store, then <see cref="Evaluate"/> each candidate trace. Instances are immutable and safe to share between threads.
/// </summary>
public sealed class TraceQLQuery
{
    private readonly CompiledQuery _compiled;

    private TraceQLQuery(string text, CompiledQuery compiled)
    {
        Text = text;
        _compiled = compiled;
        Conditions = ConditionExtractor.Extract(compiled.Expression, compiled.SelectFields);
    }

    /// <summary>The query as it was written.</summary>
    public string Text { get; }

    /// <summary>The syntax tree.</summary>
    public QueryExpression Expression => _compiled.Expression;

    /// <summary>The query hints written after <c>with</c>, such as <c>most_recent=true</c>.</summary>
    public IReadOnlyList<QueryHint> Hints => _compiled.Expression.Hints;

    /// <summary>The conditions a store may push down, and whether the query needs whole traces.</summary>
    public QueryConditions Conditions { get; }

    /// <summary>Parses and checks <paramref name="text"/>.</summary>
    /// <exception cref="TraceQLParseException">The text is not a valid TraceQL search query; the message says where and why.</exception>
    public static TraceQLQuery Parse(string text, TraceQLParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= TraceQLParseOptions.Default;
        if (text.Length > options.MaxQueryLength)
        {
            throw new TraceQLParseException($"the query is {text.Length} characters long; the limit is {options.MaxQueryLength}");
        }

        var expression = Parser.Parse(text, options.MaxNestingDepth);
        var patterns = SemanticChecker.Check(expression, options.RegexMatchTimeout);
        return new TraceQLQuery(text, new CompiledQuery(expression, patterns, options.RegexMatchTimeout));
    }

    /// <summary>
    /// Runs the query on one whole trace and returns the span sets it yields, empty when the trace does not match.
    /// </summary>
    /// <exception cref="TraceQLEvaluationException">A regular expression ran past its match timeout.</exception>
    public IReadOnlyList<SpansetResult> Evaluate(TraceData trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.Spans.Count == 0)
        {
            return [];
        }

        var index = new TraceIndex(trace);
        var everything = new Spanset(Enumerable.Range(0, trace.Spans.Count).ToArray(), []);
        var spansets = new PipelineEvaluator(_compiled, index).Evaluate(_compiled.Expression.Pipeline, [everything]);
        var fields = new FieldEvaluator(_compiled, index);
        return spansets
            .Where(set => set.Spans.Count > 0)
            .Select(set => new SpansetResult(
                set.Spans.Select(span => new MatchedSpan(trace.Spans[span], Selected(fields, span))).ToList(),
                set.Attributes))
            .ToList();
    }

    /// <summary>The query in canonical form, every nested operation in parentheses.</summary>
    public override string ToString() => Expression.ToString();

    private List<SelectedValue> Selected(FieldEvaluator fields, int span) =>
        [.. _compiled.SelectFields
            .Select(field => new SelectedValue(field, fields.ValueOf(field, _compiled.ScopeUseOf(field), span)))
            .Where(selected => !selected.Value.IsNil)];
}
