using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Lexing;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Parsing;

/// <summary>Field expressions: what goes inside <c>{ }</c>, <c>by()</c> and the aggregates.</summary>
internal sealed partial class Parser
{
    private const int NotOperandPrecedence = 5;

    private FieldExpression ParseFieldExpression()
    {
        var first = ParseFieldBinary(2);
        if (Current.Kind is not (TokenKind.And or TokenKind.Or))
        {
            return first;
        }

        var operands = new List<FieldExpression> { first };
        var operators = new List<BinaryOperator>();
        while (Current.Kind is TokenKind.And or TokenKind.Or)
        {
            operators.Add(Take().Kind == TokenKind.And ? BinaryOperator.And : BinaryOperator.Or);
            Enter();
            operands.Add(ParseFieldBinary(2));
            Exit();
        }

        return FoldLeft(operands, operators, (op, l, r) => new BinaryExpression(op, l, r) { Position = l.Position });
    }

    private FieldExpression ParseFieldBinary(int minPrecedence)
    {
        var left = ParseFieldUnary();
        while (FieldPrecedence(Current.Kind) is { } level && level.Precedence >= minPrecedence)
        {
            var op = Take();
            Enter();
            var right = ParseFieldBinary(level.RightToLeft ? level.Precedence : level.Precedence + 1);
            Exit();
            left = MakeBinary(op, level.Operator, left, right);
        }

        return left;
    }

    private static (int Precedence, bool RightToLeft, BinaryOperator Operator)? FieldPrecedence(TokenKind kind) => kind switch
    {
        TokenKind.Equal => (2, false, BinaryOperator.Equal),
        TokenKind.NotEqual => (2, false, BinaryOperator.NotEqual),
        TokenKind.Regex => (2, false, BinaryOperator.Regex),
        TokenKind.NotRegex => (2, false, BinaryOperator.NotRegex),
        TokenKind.Greater => (2, false, BinaryOperator.Greater),
        TokenKind.GreaterOrEqual => (2, false, BinaryOperator.GreaterOrEqual),
        TokenKind.Less => (2, false, BinaryOperator.Less),
        TokenKind.LessOrEqual => (2, false, BinaryOperator.LessOrEqual),
        TokenKind.Plus => (3, false, BinaryOperator.Add),
        TokenKind.Minus => (3, false, BinaryOperator.Subtract),
        TokenKind.Star => (5, false, BinaryOperator.Multiply),
        TokenKind.Slash => (5, false, BinaryOperator.Divide),
        TokenKind.Percent => (5, false, BinaryOperator.Modulo),
        TokenKind.Caret => (6, true, BinaryOperator.Power),
        _ => null,
    };

    /// <summary>Builds a binary node; <c>x = nil</c> and <c>x != nil</c> become existence tests, as Tempo rewrites them.</summary>
    private FieldExpression MakeBinary(Token op, BinaryOperator binary, FieldExpression left, FieldExpression right)
    {
        var leftNil = left is Literal { Value.IsNil: true };
        var rightNil = right is Literal { Value.IsNil: true };
        if (binary is BinaryOperator.Equal or BinaryOperator.NotEqual && (leftNil || rightNil))
        {
            if (leftNil && rightNil)
            {
                return new Literal(TraceQLValue.Bool(false)) { Position = left.Position };
            }

            var existence = binary == BinaryOperator.Equal ? UnaryOperator.NotExists : UnaryOperator.Exists;
            var operand = leftNil ? right : left;
            return Built(new UnaryExpression(existence, operand) { Position = op.Position }, operand);
        }

        return Built(new BinaryExpression(binary, left, right) { Position = op.Position }, left, right);
    }

    private FieldExpression ParseFieldUnary()
    {
        var token = Current;
        if (token.Kind is not (TokenKind.Not or TokenKind.Minus))
        {
            return ParseFieldPrimary();
        }

        Take();
        Enter();
        var operand = ParseFieldBinary(NotOperandPrecedence);
        Exit();
        if (token.Kind == TokenKind.Minus && operand is Literal { Value.IsNumeric: true } literal
            && !(literal.Value.Type == TraceQLType.Int && literal.Value.AsInt() == long.MinValue)
            && !(literal.Value.Type == TraceQLType.Duration && literal.Value.AsDurationNanoseconds() == long.MinValue))
        {
            return new Literal(Negate(literal.Value)) { Position = token.Position };
        }

        var op = token.Kind == TokenKind.Not ? UnaryOperator.Not : UnaryOperator.Negate;
        return Built(new UnaryExpression(op, operand) { Position = token.Position }, operand);
    }

    private FieldExpression ParseFieldPrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.OpenParen:
                Take();
                Enter();
                var inner = ParseFieldExpression();
                Expect(TokenKind.CloseParen, $"')' to close the '(' at {token.Position}");
                Exit();
                return inner;
            case TokenKind.String or TokenKind.Integer or TokenKind.Float or TokenKind.Duration:
                Take();
                return new Literal(token.Value) { Position = token.Position };
            case TokenKind.Attribute:
                Take();
                return new AttributeReference(token.Scope, token.Name) { Position = token.Position };
            case TokenKind.ScopedIntrinsic:
                Take();
                return Intrinsics.TryFromScoped(token.Text, out var scoped)
                    ? new IntrinsicReference(scoped, token.Text) { Position = token.Position }
                    : throw TraceQLParseException.Syntax(token.Position, $"unknown intrinsic '{token.Text}'; the intrinsics are {string.Join(", ", Intrinsics.ScopedNames)}");
            case TokenKind.Identifier:
                return ParseWord(token);
            default:
                throw IsOperator(Previous.Kind) && _index > 0
                    ? Expected($"a value after {Previous.Describe()}")
                    : Expected("a field such as span.http.route or duration, or a value");
        }
    }

    private FieldExpression ParseWord(Token token)
    {
        Take();
        if (KeywordValue(token.Text) is { } value)
        {
            return new Literal(value) { Position = token.Position };
        }

        if (Intrinsics.TryFromUnscoped(token.Text, out var intrinsic))
        {
            return new IntrinsicReference(intrinsic, token.Text) { Position = token.Position };
        }

        throw token.Text is "parent" or "nestedSetLeft" or "nestedSetRight" or "nestedSetParent"
            ? TraceQLParseException.Syntax(token.Position, $"'{token.Text}' is not supported; use a structural operator such as {{ }} > {{ }}")
            : TraceQLParseException.Syntax(token.Position, $"unknown identifier '{token.Text}'; an attribute needs a scope, as in span.{token.Text}, resource.{token.Text} or .{token.Text}");
    }

    private static bool IsOperator(TokenKind kind) => kind is >= TokenKind.Equal and <= TokenKind.UnionSibling;
}
