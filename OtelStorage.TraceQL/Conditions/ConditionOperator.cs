namespace OtelStorage.TraceQL.Conditions;

/// <summary>What a <see cref="Condition"/> asks of a field.</summary>
public enum ConditionOperator
{
    /// <summary>Nothing: the evaluator reads the field, so a store must fetch it, but any value or none may match.</summary>
    None,

    /// <summary><c>=</c> the operand.</summary>
    Equal,

    /// <summary><c>!=</c> the operand; a span without the field does not satisfy it.</summary>
    NotEqual,

    /// <summary><c>=~</c>: the operand is a TraceQL pattern, anchored at both ends.</summary>
    Regex,

    /// <summary><c>!~</c>; a span without the field does not satisfy it.</summary>
    NotRegex,

    /// <summary><c>&gt;</c> the operand.</summary>
    Greater,

    /// <summary><c>&gt;=</c> the operand.</summary>
    GreaterOrEqual,

    /// <summary><c>&lt;</c> the operand.</summary>
    Less,

    /// <summary><c>&lt;=</c> the operand.</summary>
    LessOrEqual,

    /// <summary><c>!= nil</c>: the field has a value.</summary>
    Exists,

    /// <summary><c>= nil</c>: the field has no value.</summary>
    NotExists,
}
