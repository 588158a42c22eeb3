using System.Text.RegularExpressions;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Checking;

/// <summary>
/// The checks Tempo's <c>validate()</c> makes, each reported at its position: operand types that cannot meet (a status
/// with a kind, a string with a number), operators that do not apply to a type (<c>&gt;</c> on a status, <c>+</c> on a
/// string), aggregates of non-numbers (<c>avg(name)</c>), filters that are not conditions (<c>{ 1 }</c>), regular
/// expressions that do not compile, and structural operators over grouped span sets. Attributes have no static type:
/// they may hold anything, and a mismatch at run time is simply no match.
/// </summary>
internal sealed class SemanticChecker
{
    private readonly TimeSpan _matchTimeout;
    private readonly Dictionary<BinaryExpression, Regex> _patterns = new(ReferenceEqualityComparer.Instance);

    private SemanticChecker(TimeSpan matchTimeout)
    {
        _matchTimeout = matchTimeout;
    }

    /// <summary>Checks <paramref name="query"/> and returns its regular expression literals, compiled.</summary>
    /// <exception cref="TraceQLParseException">The first problem found.</exception>
    public static Dictionary<BinaryExpression, Regex> Check(QueryExpression query, TimeSpan matchTimeout)
    {
        var checker = new SemanticChecker(matchTimeout);
        checker.CheckPipeline(query.Pipeline);
        return checker._patterns;
    }

    private void CheckPipeline(Pipeline pipeline)
    {
        foreach (var stage in pipeline.Stages)
        {
            CheckStage(stage);
        }
    }

    private void CheckStage(PipelineStage stage)
    {
        switch (stage)
        {
            case SpansetFilter { Condition: { } condition }:
                var type = CheckField(condition);
                if (type is not (null or TraceQLType.Bool))
                {
                    throw Error(condition, $"a span set needs a condition that is true or false, such as {{ span.http.status_code = 200 }}; {condition} is {Name(type)}");
                }

                break;
            case SpansetOperation operation:
                CheckStage(operation.Left);
                CheckStage(operation.Right);
                if (operation.Operator is not (SpansetOperator.And or SpansetOperator.Union)
                    && !(YieldsOneSpanset(operation.Left) && YieldsOneSpanset(operation.Right)))
                {
                    throw Error(operation, $"'{OperatorText.Of(operation.Operator)}' compares one span set per trace on each side; end a by() with | coalesce() first");
                }

                break;
            case Pipeline pipeline:
                CheckPipeline(pipeline);
                break;
            case ScalarFilter filter:
                CheckComparedScalar(filter.Left);
                CheckComparedScalar(filter.Right);
                break;
            case GroupStage group:
                CheckField(group.Expression);
                if (!ReferencesSpan(group.Expression))
                {
                    throw Error(group.Expression, "by() needs a field of the span, such as by(resource.service.name)");
                }

                break;
        }
    }

    private void CheckComparedScalar(ScalarExpression scalar)
    {
        var type = CheckScalar(scalar);
        if (type is not null && !IsNumeric(type.Value))
        {
            throw Error(scalar, $"aggregates compare with numbers and durations; {scalar} is {Name(type)}");
        }
    }

    private TraceQLType? CheckScalar(ScalarExpression scalar)
    {
        switch (scalar)
        {
            case AggregateExpression { Argument: null }:
                return TraceQLType.Int;
            case AggregateExpression { Argument: { } argument } aggregate:
                var type = CheckField(argument);
                var function = OperatorText.Of(aggregate.Function);
                if (type is not null && !IsNumeric(type.Value))
                {
                    throw Error(argument, $"{function}() needs a number or a duration; {argument} is {Name(type)}");
                }

                return ReferencesSpan(argument)
                    ? type
                    : throw Error(argument, $"{function}() needs a field of the span, such as {function}(duration)");
            case ScalarLiteral literal:
                return literal.Value.Type;
            case ScalarBinaryExpression binary:
                var left = CheckScalar(binary.Left);
                var right = CheckScalar(binary.Right);
                foreach (var (side, sideType) in new[] { (binary.Left, left), (binary.Right, right) })
                {
                    if (sideType is not null && !IsNumeric(sideType.Value))
                    {
                        throw Error(side, $"'{OperatorText.Of(binary.Operator)}' needs numbers; {side} is {Name(sideType)}");
                    }
                }

                return left ?? right;
            case PipelineAggregate aggregate:
                CheckPipeline(aggregate.Source);
                return CheckScalar(aggregate.Aggregate);
            default:
                return null;
        }
    }

    private TraceQLType? CheckField(FieldExpression expression)
    {
        switch (expression)
        {
            case Literal literal:
                return literal.Value.Type;
            case AttributeReference:
                return null;
            case IntrinsicReference intrinsic:
                return Intrinsics.TypeOf(intrinsic.Intrinsic);
            case UnaryExpression { Operator: UnaryOperator.Exists or UnaryOperator.NotExists } existence:
                CheckField(existence.Operand);
                return TraceQLType.Bool;
            case UnaryExpression unary:
                var operand = CheckField(unary.Operand);
                if (unary.Operator == UnaryOperator.Not && operand is not (null or TraceQLType.Bool))
                {
                    throw Error(unary, $"'!' needs true or false; {unary.Operand} is {Name(operand)}");
                }

                if (unary.Operator == UnaryOperator.Negate && operand is not null && !IsNumeric(operand.Value))
                {
                    throw Error(unary, $"'-' needs a number; {unary.Operand} is {Name(operand)}");
                }

                return unary.Operator == UnaryOperator.Not ? TraceQLType.Bool : operand;
            case BinaryExpression binary:
                return CheckBinary(binary);
            default:
                return null;
        }
    }

    private TraceQLType? CheckBinary(BinaryExpression binary)
    {
        var left = CheckField(binary.Left);
        var right = CheckField(binary.Right);
        var op = OperatorText.Of(binary.Operator);
        if (left == TraceQLType.Nil || right == TraceQLType.Nil)
        {
            throw Error(binary, $"nil compares only with = and !=, as in span.x != nil; found '{op}'");
        }

        switch (binary.Operator)
        {
            case BinaryOperator.And or BinaryOperator.Or:
                RequireOperands(binary, left, right, t => t == TraceQLType.Bool, "true or false");
                return TraceQLType.Bool;
            case var arithmetic when OperatorText.IsArithmetic(arithmetic):
                RequireOperands(binary, left, right, IsNumeric, "numbers");
                return left ?? right;
            case BinaryOperator.Regex or BinaryOperator.NotRegex:
                RequireOperands(binary, left, right, t => t == TraceQLType.String, "strings");
                if (binary.Right is Literal { Value.Type: TraceQLType.String } pattern)
                {
                    _patterns[binary] = CompilePattern(pattern);
                }

                return TraceQLType.Bool;
        }

        if (left is not null && right is not null && left != right && !(IsNumeric(left.Value) && IsNumeric(right.Value)))
        {
            throw Error(binary, $"cannot compare {Name(left)} with {Name(right)}: {binary}");
        }

        if (binary.Operator is not (BinaryOperator.Equal or BinaryOperator.NotEqual))
        {
            RequireOperands(binary, left, right, t => IsNumeric(t) || t == TraceQLType.String, "numbers, durations or strings");
        }

        return TraceQLType.Bool;
    }

    private static void RequireOperands(BinaryExpression binary, TraceQLType? left, TraceQLType? right, Func<TraceQLType, bool> allowed, string what)
    {
        foreach (var (side, type) in new[] { (binary.Left, left), (binary.Right, right) })
        {
            if (type is not null && !allowed(type.Value))
            {
                throw Error(side, $"'{OperatorText.Of(binary.Operator)}' needs {what}; {side} is {Name(type)}");
            }
        }
    }

    private Regex CompilePattern(Literal pattern)
    {
        var text = pattern.Value.AsString();
        try
        {
            return RegexPattern.Compile(text, _matchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw TraceQLParseException.Semantic(pattern.Position, $"invalid regular expression {pattern}: {e.Message}", e);
        }
    }

    private static bool YieldsOneSpanset(SpansetExpression expression)
    {
        if (expression is not Pipeline pipeline)
        {
            return true;
        }

        var grouped = false;
        foreach (var stage in pipeline.Stages)
        {
            grouped = stage switch
            {
                GroupStage => true,
                CoalesceStage => false,
                Pipeline inner => grouped || !YieldsOneSpanset(inner),
                _ => grouped,
            };
        }

        return !grouped;
    }

    internal static bool ReferencesSpan(FieldExpression expression) => expression switch
    {
        FieldReference => true,
        UnaryExpression unary => ReferencesSpan(unary.Operand),
        BinaryExpression binary => ReferencesSpan(binary.Left) || ReferencesSpan(binary.Right),
        _ => false,
    };

    private static bool IsNumeric(TraceQLType type) => type is TraceQLType.Int or TraceQLType.Float or TraceQLType.Duration;

    private static string Name(TraceQLType? type) => type switch
    {
        null => "an attribute",
        TraceQLType.Int => "an integer",
        TraceQLType.Nil => "nil",
        _ => "a " + type.Value.ToString().ToLowerInvariant(),
    };

    private static TraceQLParseException Error(Node node, string detail) => TraceQLParseException.Semantic(node.Position, detail);
}
