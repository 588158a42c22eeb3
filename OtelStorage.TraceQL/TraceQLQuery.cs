using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Checking;
using OtelStorage.TraceQL.Parsing;

namespace OtelStorage.TraceQL;

/// <summary>A parsed and checked TraceQL search query. Instances are immutable and safe to share between threads.</summary>
public sealed class TraceQLQuery
{
    private TraceQLQuery(string text, QueryExpression expression)
    {
        Text = text;
        Expression = expression;
    }

    /// <summary>The query as it was written.</summary>
    public string Text { get; }

    /// <summary>The syntax tree.</summary>
    public QueryExpression Expression { get; }

    /// <summary>The query hints written after <c>with</c>, such as <c>most_recent=true</c>.</summary>
    public IReadOnlyList<QueryHint> Hints => Expression.Hints;

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
        SemanticChecker.Check(expression, options.RegexMatchTimeout);
        return new TraceQLQuery(text, expression);
    }

    /// <summary>The query in canonical form, every nested operation in parentheses.</summary>
    public override string ToString() => Expression.ToString();
}
