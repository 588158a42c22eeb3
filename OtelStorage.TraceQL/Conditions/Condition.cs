using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Conditions;

/// <summary>
/// One condition on one field that a store can push down, like Tempo's <c>Condition</c>: a span attribute, resource
/// attribute, event or link attribute, or intrinsic, an operator and an operand. A condition on an event or link field
/// holds for a span when it holds for at least one of the span's events or links; one on an unscoped <c>.x</c> reads
/// the span attribute, or the resource attribute when the span has none.
/// </summary>
/// <param name="Field">The field, with intrinsics in their scoped spelling such as <c>span:duration</c>.</param>
/// <param name="Operator">What the field must satisfy.</param>
/// <param name="Operand">The value compared with; nil for <see cref="ConditionOperator.None"/>, <see cref="ConditionOperator.Exists"/> and <see cref="ConditionOperator.NotExists"/>.</param>
public sealed record Condition(FieldReference Field, ConditionOperator Operator, TraceQLValue Operand)
{
    private const int PatternCacheSize = 1024;
    private static readonly ConcurrentDictionary<string, Regex?> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a field whose value is <paramref name="value"/> (nil when the span lacks it) satisfies the condition, with
    /// the evaluator's semantics: numbers compare across integer, float and duration, arrays match by element, patterns are
    /// anchored, IDs compare ignoring case and leading zeros.
    /// </summary>
    public bool Matches(TraceQLValue value)
    {
        switch (Operator)
        {
            case ConditionOperator.None:
                return true;
            case ConditionOperator.Exists:
                return !value.IsNil;
            case ConditionOperator.NotExists:
                return value.IsNil;
        }

        if (Field is IntrinsicReference intrinsic && Intrinsics.IsId(intrinsic.Intrinsic)
            && Operator is ConditionOperator.Equal or ConditionOperator.NotEqual
            && value.Type == TraceQLType.String && Operand.Type == TraceQLType.String)
        {
            var same = HexId.Normalize(value.AsString()) == HexId.Normalize(Operand.AsString());
            return same == (Operator == ConditionOperator.Equal);
        }

        return ValueOperations.Compare(ToBinary(Operator), value, Operand, Pattern);
    }

    private static Regex? Pattern(string pattern)
    {
        if (Patterns.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        var regex = RegexPattern.TryCompile(pattern, TraceQLParseOptions.Default.RegexMatchTimeout);
        if (Patterns.Count < PatternCacheSize)
        {
            Patterns.TryAdd(pattern, regex);
        }

        return regex;
    }

    /// <summary>Equal when field, operator and operand are.</summary>
    public bool Equals(Condition? other) =>
        other is not null && Field.Equals(other.Field) && Operator == other.Operator && Operand.Equals(other.Operand);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Field, Operator, Operand);

    /// <summary>The condition as TraceQL, such as <c>span.http.status_code &gt;= 500</c>.</summary>
    public override string ToString() => Operator switch
    {
        ConditionOperator.None => Field.ToString(),
        ConditionOperator.Exists => $"{Field} != nil",
        ConditionOperator.NotExists => $"{Field} = nil",
        _ => $"{Field} {OperatorText.Of(ToBinary(Operator))} {Operand}",
    };

    internal static BinaryOperator ToBinary(ConditionOperator op) => op switch
    {
        ConditionOperator.Equal => BinaryOperator.Equal,
        ConditionOperator.NotEqual => BinaryOperator.NotEqual,
        ConditionOperator.Regex => BinaryOperator.Regex,
        ConditionOperator.NotRegex => BinaryOperator.NotRegex,
        ConditionOperator.Greater => BinaryOperator.Greater,
        ConditionOperator.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
        ConditionOperator.Less => BinaryOperator.Less,
        ConditionOperator.LessOrEqual => BinaryOperator.LessOrEqual,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "has no binary form"),
    };
}
