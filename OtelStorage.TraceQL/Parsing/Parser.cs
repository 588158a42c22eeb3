using System.Collections.Immutable;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Lexing;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Parsing;

/// <summary>
/// A hand-written recursive descent parser with precedence climbing, following the grammar of Tempo's <c>expr.y</c>:
/// <c>|</c> binds loosest, then <c>&amp;&amp; ||</c> (one level, left to right), then comparisons and structural
/// operators, then <c>+ -</c>, then <c>!</c>, then <c>* / %</c>, and <c>^</c> (right to left) tightest.
/// </summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private readonly Dictionary<Node, int> _heights = new(ReferenceEqualityComparer.Instance);
    private int _index;
    private int _depth;

    private Parser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    /// <summary>Parses <paramref name="text"/> into a syntax tree; types and regular expressions are checked elsewhere.</summary>
    /// <exception cref="TraceQLParseException">The text is not TraceQL; the message says where and what was expected.</exception>
    public static QueryExpression Parse(string text, int maxDepth)
    {
        var parser = new Parser(Lexer.Tokenize(text), maxDepth);
        return parser.ParseQuery();
    }

    private Token Current => _tokens[_index];

    private Token Previous => _tokens[Math.Max(0, _index - 1)];

    private Token Take()
    {
        var token = Current;
        if (token.Kind != TokenKind.End)
        {
            _index++;
        }

        return token;
    }

    private bool Accept(TokenKind kind)
    {
        if (Current.Kind != kind)
        {
            return false;
        }

        Take();
        return true;
    }

    private Token Expect(TokenKind kind, string what) => Current.Kind == kind ? Take() : throw Expected(what);

    private bool IsWord(string word) => Current.Kind == TokenKind.Identifier && Current.Text == word;

    private TraceQLParseException Expected(string what) =>
        TraceQLParseException.Syntax(Current.Position, $"expected {what}, found {Current.Describe()}");

    private void Enter()
    {
        if (++_depth > _maxDepth)
        {
            throw TraceQLParseException.Syntax(Current.Position, $"the query nests more than {_maxDepth} levels deep");
        }
    }

    private void Exit() => _depth--;

    /// <summary>Records the height of a new node and refuses trees taller than the nesting limit, so later passes may recurse.</summary>
    private T Built<T>(T node, params Node?[] children)
        where T : Node
    {
        var height = 1;
        foreach (var child in children)
        {
            if (child is not null)
            {
                height = Math.Max(height, HeightOf(child) + 1);
            }
        }

        if (height > _maxDepth)
        {
            throw TraceQLParseException.Syntax(node.Position, $"the query nests more than {_maxDepth} levels deep");
        }

        _heights[node] = height;
        return node;
    }

    private int HeightOf(Node node) => _heights.GetValueOrDefault(node, 1);

    private QueryExpression ParseQuery()
    {
        var start = Current.Position;
        if (Current.Kind == TokenKind.End)
        {
            throw Expected("a query such as { } or { span.http.route = \"/\" }");
        }

        var pipeline = ParseTopPipeline();
        var hints = IsWord("with") ? ParseHints() : [];
        if (Current.Kind != TokenKind.End)
        {
            throw Expected("'|', an operator or the end of the query");
        }

        return new QueryExpression(pipeline, hints) { Position = start };
    }

    private ImmutableArray<QueryHint> ParseHints()
    {
        Take();
        Expect(TokenKind.OpenParen, "'(' after with");
        var hints = ImmutableArray.CreateBuilder<QueryHint>();
        do
        {
            var name = Expect(TokenKind.Identifier, "a hint name such as most_recent");
            Expect(TokenKind.Equal, $"'=' after the hint {name.Text}");
            hints.Add(new QueryHint(name.Text, ParseHintValue(name.Text)) { Position = name.Position });
        }
        while (Accept(TokenKind.Comma));

        Expect(TokenKind.CloseParen, "',' or ')' to close the hints");
        return hints.ToImmutable();
    }

    private TraceQLValue ParseHintValue(string name)
    {
        if (Current.Kind == TokenKind.Minus && _tokens[_index + 1].Kind is TokenKind.Integer or TokenKind.Float or TokenKind.Duration)
        {
            Take();
            return Negate(Take().Value);
        }

        if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float or TokenKind.Duration)
        {
            return Take().Value;
        }

        if (Current.Kind == TokenKind.Identifier && KeywordValue(Current.Text) is { } value)
        {
            Take();
            return value;
        }

        throw Expected($"a value for the hint {name}");
    }

    private static TraceQLValue? KeywordValue(string word) => word switch
    {
        "true" => TraceQLValue.Bool(true),
        "false" => TraceQLValue.Bool(false),
        "nil" => TraceQLValue.Nil,
        "ok" => TraceQLValue.Status(SpanStatus.Ok),
        "error" => TraceQLValue.Status(SpanStatus.Error),
        "unset" => TraceQLValue.Status(SpanStatus.Unset),
        "unspecified" => TraceQLValue.Kind(SpanKind.Unspecified),
        "internal" => TraceQLValue.Kind(SpanKind.Internal),
        "server" => TraceQLValue.Kind(SpanKind.Server),
        "client" => TraceQLValue.Kind(SpanKind.Client),
        "producer" => TraceQLValue.Kind(SpanKind.Producer),
        "consumer" => TraceQLValue.Kind(SpanKind.Consumer),
        "minInt" => TraceQLValue.Int(long.MinValue),
        "maxInt" => TraceQLValue.Int(long.MaxValue),
        _ => null,
    };

    private static TraceQLValue Negate(TraceQLValue value) => value.Type switch
    {
        TraceQLType.Int => TraceQLValue.Int(-value.AsInt()),
        TraceQLType.Float => TraceQLValue.Float(-value.AsDouble()),
        _ => TraceQLValue.Duration(-value.AsDurationNanoseconds()),
    };

    /// <summary>Folds a chain of one operator into a balanced tree, so a hundred conditions joined by &amp;&amp; nest seven deep, not a hundred.</summary>
    private T Balance<T>(List<T> operands, int from, int to, Func<T, T, T> combine)
        where T : Node
    {
        if (to - from == 1)
        {
            return operands[from];
        }

        var middle = (from + to) / 2;
        var left = Balance(operands, from, middle, combine);
        var right = Balance(operands, middle, to, combine);
        return Built(combine(left, right), left, right);
    }

    /// <summary>Folds <c>a op1 b op2 c ...</c> left to right, balancing each run of the same operator.</summary>
    private T FoldLeft<T, TOp>(List<T> operands, List<TOp> operators, Func<TOp, T, T, T> combine)
        where T : Node
        where TOp : struct, Enum
    {
        var run = new List<T> { operands[0] };
        var runOperator = operators[0];
        for (var i = 0; i < operators.Count; i++)
        {
            if (!EqualityComparer<TOp>.Default.Equals(operators[i], runOperator))
            {
                var folded = Balance(run, 0, run.Count, (l, r) => combine(runOperator, l, r));
                run = [folded];
                runOperator = operators[i];
            }

            run.Add(operands[i + 1]);
        }

        return Balance(run, 0, run.Count, (l, r) => combine(runOperator, l, r));
    }
}
