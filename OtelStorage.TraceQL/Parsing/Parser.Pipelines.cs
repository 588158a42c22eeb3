using System.Collections.Immutable;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Lexing;

namespace OtelStorage.TraceQL.Parsing;

/// <summary>
/// Pipelines and the expressions between <c>|</c>: span sets and the operators between them, scalar filters such as
/// <c>count() &gt; 2</c>, and the <c>by</c>, <c>select</c> and <c>coalesce</c> stages. <c>&gt;</c> and <c>&lt;</c> are
/// structural between span sets and comparisons between scalars; what the operands are decides which.
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> MetricsFunctions = new(StringComparer.Ordinal)
    {
        "rate", "count_over_time", "min_over_time", "max_over_time", "avg_over_time", "sum_over_time",
        "quantile_over_time", "histogram_over_time", "compare", "topk", "bottomk",
    };

    private static readonly Dictionary<string, AggregateFunction> Aggregates = new(StringComparer.Ordinal)
    {
        ["count"] = AggregateFunction.Count,
        ["avg"] = AggregateFunction.Avg,
        ["min"] = AggregateFunction.Min,
        ["max"] = AggregateFunction.Max,
        ["sum"] = AggregateFunction.Sum,
    };

    private enum ElementKind
    {
        /// <summary>A span set expression: a filter, an operation between span sets, or anything in parentheses that yields span sets.</summary>
        Spanset,

        /// <summary>A bare stage that is not a span set expression: a scalar filter, by, select or coalesce.</summary>
        Stage,

        /// <summary>A scalar that still needs comparing: an aggregate, a number, arithmetic on them.</summary>
        Scalar,
    }

    private readonly record struct Element(Node Node, ElementKind Kind);

    private Pipeline ParseTopPipeline()
    {
        var start = Current.Position;
        var elements = ParseElements();
        return BuildPipeline(elements, start);
    }

    private List<Element> ParseElements()
    {
        var elements = new List<Element> { ParseLogicalElement() };
        while (Accept(TokenKind.Pipe))
        {
            elements.Add(ParseLogicalElement());
        }

        return elements;
    }

    private Pipeline BuildPipeline(List<Element> elements, SourcePosition start)
    {
        var stages = ImmutableArray.CreateBuilder<PipelineStage>(elements.Count);
        for (var i = 0; i < elements.Count; i++)
        {
            var element = elements[i];
            if (element.Kind == ElementKind.Scalar)
            {
                throw TraceQLParseException.Syntax(StartOf(element.Node), $"{element.Node} must be compared with a value, for example {element.Node} > 1");
            }

            if (i == 0 && element.Node is CoalesceStage)
            {
                throw TraceQLParseException.Syntax(element.Node.Position, "coalesce() merges the span sets of an earlier by(); write it after one, as in { } | by(name) | coalesce()");
            }

            stages.Add((PipelineStage)element.Node);
        }

        var pipeline = new Pipeline(stages.ToImmutable()) { Position = start };
        return Built(pipeline, [.. stages]);
    }

    private Element ParseLogicalElement()
    {
        var first = ParseElement(2);
        if (Current.Kind is not (TokenKind.And or TokenKind.Or))
        {
            return first;
        }

        var operands = new List<SpansetExpression> { AsSpanset(first, Current) };
        var operators = new List<SpansetOperator>();
        while (Current.Kind is TokenKind.And or TokenKind.Or)
        {
            var op = Take();
            operators.Add(op.Kind == TokenKind.And ? SpansetOperator.And : SpansetOperator.Union);
            Enter();
            operands.Add(AsSpanset(ParseElement(2), op));
            Exit();
        }

        var folded = FoldLeft(operands, operators, (op, l, r) => new SpansetOperation(op, l, r) { Position = l.Position });
        return new Element(folded, ElementKind.Spanset);
    }

    private static SpansetExpression AsSpanset(Element element, Token op) => element.Kind == ElementKind.Spanset
        ? (SpansetExpression)element.Node
        : throw TraceQLParseException.Syntax(StartOf(element.Node), $"'{op.Text}' joins span sets such as {{ status = error }}; {Describe(element.Node)} is not one (put a pipeline in parentheses to use it as one)");

    /// <summary>Where the text of a node begins: operator nodes are positioned at their operator.</summary>
    private static SourcePosition StartOf(Node node) => node switch
    {
        ScalarFilter filter => StartOf(filter.Left),
        ScalarBinaryExpression binary => StartOf(binary.Left),
        SpansetOperation operation => StartOf(operation.Left),
        _ => node.Position,
    };

    private static string Describe(Node node) => node is Pipeline ? $"({node})" : node.ToString();

    private Element ParseElement(int minPrecedence)
    {
        var left = ParseElementOperand();
        while (ElementPrecedence(Current.Kind) is { } level && level.Precedence >= minPrecedence)
        {
            var op = Take();
            Enter();
            var right = ParseElement(level.RightToLeft ? level.Precedence : level.Precedence + 1);
            Exit();
            left = Combine(op, left, right);
        }

        return left;
    }

    private static (int Precedence, bool RightToLeft)? ElementPrecedence(TokenKind kind) => kind switch
    {
        TokenKind.Equal or TokenKind.NotEqual or TokenKind.Regex or TokenKind.NotRegex or TokenKind.Greater
            or TokenKind.GreaterOrEqual or TokenKind.Less or TokenKind.LessOrEqual or TokenKind.Descendant
            or TokenKind.Ancestor or TokenKind.Tilde or TokenKind.NotChild or TokenKind.NotParent or TokenKind.NotDescendant
            or TokenKind.NotAncestor or TokenKind.UnionChild or TokenKind.UnionParent or TokenKind.UnionDescendant
            or TokenKind.UnionAncestor or TokenKind.UnionSibling => (2, false),
        TokenKind.Plus or TokenKind.Minus => (3, false),
        TokenKind.Star or TokenKind.Slash or TokenKind.Percent => (5, false),
        TokenKind.Caret => (6, true),
        _ => null,
    };

    private Element Combine(Token op, Element left, Element right)
    {
        if (left.Kind == ElementKind.Spanset && right.Kind == ElementKind.Spanset)
        {
            var spansetOperator = StructuralOperator(op.Kind)
                ?? throw TraceQLParseException.Syntax(op.Position, $"'{op.Text}' does not join span sets; use &&, ||, >, <, >>, <<, ~ or their !, & forms");
            var operation = new SpansetOperation(spansetOperator, (SpansetExpression)left.Node, (SpansetExpression)right.Node) { Position = op.Position };
            return new Element(Built(operation, left.Node, right.Node), ElementKind.Spanset);
        }

        if (left.Kind == ElementKind.Scalar && right.Kind == ElementKind.Scalar)
        {
            var binary = ScalarOperator(op.Kind)
                ?? throw TraceQLParseException.Syntax(op.Position, $"'{op.Text}' does not compare numbers; use =, !=, <, <=, > or >=");
            var (leftScalar, rightScalar) = ((ScalarExpression)left.Node, (ScalarExpression)right.Node);
            return OperatorText.IsArithmetic(binary)
                ? new Element(Built(new ScalarBinaryExpression(binary, leftScalar, rightScalar) { Position = op.Position }, left.Node, right.Node), ElementKind.Scalar)
                : new Element(Built(new ScalarFilter(binary, leftScalar, rightScalar) { Position = op.Position }, left.Node, right.Node), ElementKind.Stage);
        }

        if (left.Kind == ElementKind.Stage)
        {
            throw TraceQLParseException.Syntax(op.Position, $"expected '|' after {left.Node}, found '{op.Text}'");
        }

        var (spanset, scalar) = left.Kind == ElementKind.Spanset ? (left, right) : (right, left);
        throw TraceQLParseException.Syntax(op.Position,
            $"'{op.Text}' cannot join the span set {Describe(spanset.Node)} with {Describe(scalar.Node)}; compare aggregates after a pipe, as in {{ }} | count() > 1");
    }

    private static SpansetOperator? StructuralOperator(TokenKind kind) => kind switch
    {
        TokenKind.Greater => SpansetOperator.Child,
        TokenKind.Less => SpansetOperator.Parent,
        TokenKind.Descendant => SpansetOperator.Descendant,
        TokenKind.Ancestor => SpansetOperator.Ancestor,
        TokenKind.Tilde => SpansetOperator.Sibling,
        TokenKind.NotChild => SpansetOperator.NotChild,
        TokenKind.NotParent => SpansetOperator.NotParent,
        TokenKind.NotDescendant => SpansetOperator.NotDescendant,
        TokenKind.NotAncestor => SpansetOperator.NotAncestor,
        TokenKind.NotRegex => SpansetOperator.NotSibling,
        TokenKind.UnionChild => SpansetOperator.UnionChild,
        TokenKind.UnionParent => SpansetOperator.UnionParent,
        TokenKind.UnionDescendant => SpansetOperator.UnionDescendant,
        TokenKind.UnionAncestor => SpansetOperator.UnionAncestor,
        TokenKind.UnionSibling => SpansetOperator.UnionSibling,
        _ => null,
    };

    private static BinaryOperator? ScalarOperator(TokenKind kind) => kind switch
    {
        TokenKind.Equal => BinaryOperator.Equal,
        TokenKind.NotEqual => BinaryOperator.NotEqual,
        TokenKind.Greater => BinaryOperator.Greater,
        TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
        TokenKind.Less => BinaryOperator.Less,
        TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
        TokenKind.Plus => BinaryOperator.Add,
        TokenKind.Minus => BinaryOperator.Subtract,
        TokenKind.Star => BinaryOperator.Multiply,
        TokenKind.Slash => BinaryOperator.Divide,
        TokenKind.Percent => BinaryOperator.Modulo,
        TokenKind.Caret => BinaryOperator.Power,
        _ => null,
    };

    private Element ParseElementOperand()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.OpenBrace:
                return new Element(ParseSpansetFilter(), ElementKind.Spanset);
            case TokenKind.OpenParen:
                return ParseParenthesizedElement();
            case TokenKind.Integer or TokenKind.Float or TokenKind.Duration or TokenKind.String:
                // A string cannot be compared with an aggregate; the checker says so with the types in the message.
                Take();
                return new Element(new ScalarLiteral(token.Value) { Position = token.Position }, ElementKind.Scalar);
            case TokenKind.Minus:
                Take();
                var number = Current.Kind is TokenKind.Integer or TokenKind.Float or TokenKind.Duration
                    ? Take()
                    : throw Expected("a number after '-'");
                return new Element(new ScalarLiteral(Negate(number.Value)) { Position = token.Position }, ElementKind.Scalar);
            case TokenKind.Identifier:
                return ParseNamedElement(token);
            default:
                throw Expected(_index == 0 || Previous.Kind == TokenKind.Pipe
                    ? "a span set such as { span.http.route = \"/\" }, an aggregate such as count(), or by(), select() or coalesce()"
                    : $"a span set such as {{ }} or a value after {Previous.Describe()}");
        }
    }

    private Element ParseNamedElement(Token token)
    {
        if (Aggregates.TryGetValue(token.Text, out var function))
        {
            return new Element(ParseAggregate(token, function), ElementKind.Scalar);
        }

        switch (token.Text)
        {
            case "by":
                Take();
                Expect(TokenKind.OpenParen, "'(' after by");
                var expression = ParseFieldExpression();
                Expect(TokenKind.CloseParen, "')' to close by(");
                return new Element(Built(new GroupStage(expression) { Position = token.Position }, expression), ElementKind.Stage);
            case "coalesce":
                Take();
                Expect(TokenKind.OpenParen, "'(' after coalesce");
                Expect(TokenKind.CloseParen, "')': coalesce() takes no argument");
                return new Element(new CoalesceStage { Position = token.Position }, ElementKind.Stage);
            case "select":
                return new Element(ParseSelect(token), ElementKind.Stage);
        }

        if (MetricsFunctions.Contains(token.Text))
        {
            throw TraceQLParseException.Syntax(token.Position, $"{token.Text}() is a TraceQL metrics function; metrics queries are not supported yet, only searches");
        }

        throw Expected("a span set such as { span.http.route = \"/\" }, an aggregate such as count(), or by(), select() or coalesce()");
    }

    private AggregateExpression ParseAggregate(Token name, AggregateFunction function)
    {
        Take();
        Expect(TokenKind.OpenParen, $"'(' after {name.Text}");
        if (function == AggregateFunction.Count)
        {
            Expect(TokenKind.CloseParen, "')': count() takes no argument");
            return new AggregateExpression(function, null) { Position = name.Position };
        }

        if (Current.Kind == TokenKind.CloseParen)
        {
            throw Expected($"a field to aggregate, as in {name.Text}(duration)");
        }

        var argument = ParseFieldExpression();
        Expect(TokenKind.CloseParen, $"')' to close {name.Text}(");
        return Built(new AggregateExpression(function, argument) { Position = name.Position }, argument);
    }

    private SelectStage ParseSelect(Token name)
    {
        Take();
        Expect(TokenKind.OpenParen, "'(' after select");
        var fields = ImmutableArray.CreateBuilder<FieldReference>();
        do
        {
            var start = Current;
            fields.Add(ParseFieldPrimary() as FieldReference
                ?? throw TraceQLParseException.Syntax(start.Position, $"select() takes attributes and intrinsics such as span.http.route or duration, found {start.Describe()}"));
        }
        while (Accept(TokenKind.Comma));

        Expect(TokenKind.CloseParen, "',' or ')' to close select(");
        return new SelectStage(fields.ToImmutable()) { Position = name.Position };
    }

    private Element ParseParenthesizedElement()
    {
        var open = Take();
        Enter();
        var elements = ParseElements();
        Expect(TokenKind.CloseParen, $"')' to close the '(' at {open.Position}");
        Exit();

        var last = elements[^1];
        if (elements.Count == 1)
        {
            return last.Kind == ElementKind.Stage
                ? new Element(BuildPipeline(elements, open.Position), ElementKind.Spanset)
                : last;
        }

        if (last.Kind != ElementKind.Scalar)
        {
            return new Element(BuildPipeline(elements, open.Position), ElementKind.Spanset);
        }

        if (last.Node is not AggregateExpression aggregate)
        {
            throw TraceQLParseException.Syntax(last.Node.Position, $"a pipeline in parentheses may end with one aggregate such as count(), not {last.Node}");
        }

        var source = BuildPipeline(elements[..^1], open.Position);
        return new Element(Built(new PipelineAggregate(source, aggregate) { Position = open.Position }, source, aggregate), ElementKind.Scalar);
    }

    private SpansetFilter ParseSpansetFilter()
    {
        var open = Take();
        Enter();
        if (Accept(TokenKind.CloseBrace))
        {
            Exit();
            return new SpansetFilter(null) { Position = open.Position };
        }

        var condition = ParseFieldExpression();
        Expect(TokenKind.CloseBrace, $"'}}' to close the '{{' at {open.Position}");
        Exit();
        return Built(new SpansetFilter(condition) { Position = open.Position }, condition);
    }
}
