using System.Text.RegularExpressions;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// What comparisons and arithmetic do at run time, as Tempo's <c>BinaryOperation.execute</c> does: a missing value or
/// values of types that cannot meet compare false rather than fail; integers, floats and durations compare as numbers;
/// strings order by their UTF-16 code units. An array attribute compared with a scalar matches for <c>=</c>, <c>=~</c>
/// and the orderings when any element does, and for <c>!=</c> and <c>!~</c> when no element matches.
/// </summary>
internal static class ValueOperations
{
    /// <summary>The comparison <c>left op right</c>. <paramref name="pattern"/> compiles the right side of <c>=~</c> and <c>!~</c>.</summary>
    public static bool Compare(BinaryOperator op, TraceQLValue left, TraceQLValue right, Func<string, Regex?> pattern)
    {
        if (left.IsArray == right.IsArray)
        {
            return !left.IsArray && CompareScalars(op, left, right, pattern);
        }

        var arrayOnLeft = left.IsArray;
        var array = arrayOnLeft ? left : right;
        var everyElement = op is BinaryOperator.NotEqual or BinaryOperator.NotRegex;
        for (var i = 0; i < array.ArrayLength; i++)
        {
            var element = array.ElementAt(i);
            var holds = arrayOnLeft ? CompareScalars(op, element, right, pattern) : CompareScalars(op, left, element, pattern);
            if (holds != everyElement)
            {
                return holds;
            }
        }

        return everyElement;
    }

    private static bool CompareScalars(BinaryOperator op, TraceQLValue left, TraceQLValue right, Func<string, Regex?> pattern)
    {
        if (left.IsNil || right.IsNil)
        {
            return false;
        }

        if (left.IsNumeric && right.IsNumeric)
        {
            var order = IsIntegral(left) && IsIntegral(right)
                ? Integral(left).CompareTo(Integral(right))
                : CompareDoubles(left.AsDouble(), right.AsDouble());
            return order is { } o && Holds(op, o);
        }

        if (left.Type != right.Type)
        {
            return false;
        }

        switch (left.Type)
        {
            case TraceQLType.String when op is BinaryOperator.Regex or BinaryOperator.NotRegex:
                var regex = pattern(right.AsString());
                return regex is not null && Matches(regex, left.AsString()) == (op == BinaryOperator.Regex);
            case TraceQLType.String:
                return Holds(op, string.CompareOrdinal(left.AsString(), right.AsString()));
            case TraceQLType.Bool or TraceQLType.Status or TraceQLType.Kind:
                return op switch
                {
                    BinaryOperator.Equal => left.Equals(right),
                    BinaryOperator.NotEqual => !left.Equals(right),
                    _ => false,
                };
            default:
                return false;
        }
    }

    private static bool Holds(BinaryOperator op, int order) => op switch
    {
        BinaryOperator.Equal => order == 0,
        BinaryOperator.NotEqual => order != 0,
        BinaryOperator.Greater => order > 0,
        BinaryOperator.GreaterOrEqual => order >= 0,
        BinaryOperator.Less => order < 0,
        BinaryOperator.LessOrEqual => order <= 0,
        _ => false,
    };

    private static int? CompareDoubles(double left, double right) =>
        double.IsNaN(left) || double.IsNaN(right) ? null : left.CompareTo(right);

    /// <summary>Runs <paramref name="regex"/>, turning a match that runs past its timeout into an evaluation error.</summary>
    public static bool Matches(Regex regex, string input)
    {
        try
        {
            return regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException e)
        {
            throw new TraceQLEvaluationException($"the regular expression {TraceQLValue.Quote(e.Pattern)} took longer than {e.MatchTimeout.TotalMilliseconds} ms on one value", e);
        }
    }

    /// <summary>
    /// <c>left op right</c> for <c>+ - * / % ^</c>: integers and durations stay integral (wrapping on overflow, as Go
    /// does), anything with a float becomes a float, and anything else, or a division by zero, is nil.
    /// </summary>
    public static TraceQLValue Arithmetic(BinaryOperator op, TraceQLValue left, TraceQLValue right)
    {
        if (!left.IsNumeric || !right.IsNumeric)
        {
            return TraceQLValue.Nil;
        }

        if (IsIntegral(left) && IsIntegral(right))
        {
            var result = IntegralArithmetic(op, Integral(left), Integral(right));
            return result switch
            {
                null => op == BinaryOperator.Power ? TraceQLValue.Float(Math.Pow(Integral(left), Integral(right))) : TraceQLValue.Nil,
                { } value when left.Type == TraceQLType.Duration || right.Type == TraceQLType.Duration => TraceQLValue.Duration(value),
                { } value => TraceQLValue.Int(value),
            };
        }

        var (l, r) = (left.AsDouble(), right.AsDouble());
        return TraceQLValue.Float(op switch
        {
            BinaryOperator.Add => l + r,
            BinaryOperator.Subtract => l - r,
            BinaryOperator.Multiply => l * r,
            BinaryOperator.Divide => l / r,
            BinaryOperator.Modulo => l % r,
            _ => Math.Pow(l, r),
        });
    }

    private static long? IntegralArithmetic(BinaryOperator op, long l, long r) => op switch
    {
        BinaryOperator.Add => unchecked(l + r),
        BinaryOperator.Subtract => unchecked(l - r),
        BinaryOperator.Multiply => unchecked(l * r),
        BinaryOperator.Divide when r == 0 => null,
        BinaryOperator.Divide when r == -1 => unchecked(-l),
        BinaryOperator.Divide => l / r,
        BinaryOperator.Modulo when r == 0 => null,
        BinaryOperator.Modulo when r == -1 => 0,
        BinaryOperator.Modulo => l % r,
        BinaryOperator.Power when r < 0 => null,
        _ => Power(l, r),
    };

    private static long Power(long value, long exponent)
    {
        var result = 1L;
        while (exponent > 0)
        {
            if ((exponent & 1) == 1)
            {
                result = unchecked(result * value);
            }

            value = unchecked(value * value);
            exponent >>= 1;
        }

        return result;
    }

    /// <summary><c>-value</c> for numbers; nil otherwise.</summary>
    public static TraceQLValue Negate(TraceQLValue value) => value.Type switch
    {
        TraceQLType.Int => TraceQLValue.Int(unchecked(-value.AsInt())),
        TraceQLType.Float => TraceQLValue.Float(-value.AsDouble()),
        TraceQLType.Duration => TraceQLValue.Duration(unchecked(-value.AsDurationNanoseconds())),
        _ => TraceQLValue.Nil,
    };

    private static bool IsIntegral(TraceQLValue value) => value.Type is TraceQLType.Int or TraceQLType.Duration;

    private static long Integral(TraceQLValue value) => value.Type == TraceQLType.Int ? value.AsInt() : value.AsDurationNanoseconds();
}
