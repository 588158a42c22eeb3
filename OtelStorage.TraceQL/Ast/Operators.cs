namespace OtelStorage.TraceQL.Ast;

/// <summary>A binary operator inside a span filter or between scalars.</summary>
public enum BinaryOperator
{
    /// <summary><c>+</c></summary>
    Add,

    /// <summary><c>-</c></summary>
    Subtract,

    /// <summary><c>*</c></summary>
    Multiply,

    /// <summary><c>/</c></summary>
    Divide,

    /// <summary><c>%</c></summary>
    Modulo,

    /// <summary><c>^</c></summary>
    Power,

    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>=~</c>, a fully anchored regular expression.</summary>
    Regex,

    /// <summary><c>!~</c></summary>
    NotRegex,

    /// <summary><c>&gt;</c></summary>
    Greater,

    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,

    /// <summary><c>&lt;</c></summary>
    Less,

    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,

    /// <summary><c>&amp;&amp;</c></summary>
    And,

    /// <summary><c>||</c></summary>
    Or,
}

/// <summary>A unary operator inside a span filter.</summary>
public enum UnaryOperator
{
    /// <summary><c>!</c></summary>
    Not,

    /// <summary><c>-</c></summary>
    Negate,

    /// <summary><c>x != nil</c>: the field has a value.</summary>
    Exists,

    /// <summary><c>x = nil</c>: the field has no value.</summary>
    NotExists,
}

/// <summary>An operator between two span sets.</summary>
public enum SpansetOperator
{
    /// <summary><c>&amp;&amp;</c>: both sides found spans; returns the spans of both.</summary>
    And,

    /// <summary><c>||</c>: either side found spans; returns the spans of both.</summary>
    Union,

    /// <summary><c>&gt;</c>: right spans whose parent matches the left.</summary>
    Child,

    /// <summary><c>&lt;</c>: right spans that are the parent of a left span.</summary>
    Parent,

    /// <summary><c>&gt;&gt;</c>: right spans with an ancestor matching the left.</summary>
    Descendant,

    /// <summary><c>&lt;&lt;</c>: right spans that are an ancestor of a left span.</summary>
    Ancestor,

    /// <summary><c>~</c>: right spans with a sibling matching the left.</summary>
    Sibling,

    /// <summary><c>!&gt;</c></summary>
    NotChild,

    /// <summary><c>!&lt;</c></summary>
    NotParent,

    /// <summary><c>!&gt;&gt;</c></summary>
    NotDescendant,

    /// <summary><c>!&lt;&lt;</c></summary>
    NotAncestor,

    /// <summary><c>!~</c></summary>
    NotSibling,

    /// <summary><c>&amp;&gt;</c>: like <c>&gt;</c>, returning the matching spans of both sides.</summary>
    UnionChild,

    /// <summary><c>&amp;&lt;</c></summary>
    UnionParent,

    /// <summary><c>&amp;&gt;&gt;</c></summary>
    UnionDescendant,

    /// <summary><c>&amp;&lt;&lt;</c></summary>
    UnionAncestor,

    /// <summary><c>&amp;~</c></summary>
    UnionSibling,
}

/// <summary>An aggregate over the spans of a span set.</summary>
public enum AggregateFunction
{
    /// <summary><c>count()</c></summary>
    Count,

    /// <summary><c>avg(x)</c></summary>
    Avg,

    /// <summary><c>min(x)</c></summary>
    Min,

    /// <summary><c>max(x)</c></summary>
    Max,

    /// <summary><c>sum(x)</c></summary>
    Sum,
}

/// <summary>How operators are written.</summary>
public static class OperatorText
{
    /// <summary>The TraceQL spelling of a binary operator.</summary>
    public static string Of(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.Modulo => "%",
        BinaryOperator.Power => "^",
        BinaryOperator.Equal => "=",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Regex => "=~",
        BinaryOperator.NotRegex => "!~",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.And => "&&",
        _ => "||",
    };

    /// <summary>The TraceQL spelling of a span set operator.</summary>
    public static string Of(SpansetOperator op) => op switch
    {
        SpansetOperator.And => "&&",
        SpansetOperator.Union => "||",
        SpansetOperator.Child => ">",
        SpansetOperator.Parent => "<",
        SpansetOperator.Descendant => ">>",
        SpansetOperator.Ancestor => "<<",
        SpansetOperator.Sibling => "~",
        SpansetOperator.NotChild => "!>",
        SpansetOperator.NotParent => "!<",
        SpansetOperator.NotDescendant => "!>>",
        SpansetOperator.NotAncestor => "!<<",
        SpansetOperator.NotSibling => "!~",
        SpansetOperator.UnionChild => "&>",
        SpansetOperator.UnionParent => "&<",
        SpansetOperator.UnionDescendant => "&>>",
        SpansetOperator.UnionAncestor => "&<<",
        _ => "&~",
    };

    /// <summary>The TraceQL spelling of an aggregate.</summary>
    public static string Of(AggregateFunction function) => function.ToString().ToLowerInvariant();

    /// <summary>True for <c>= != &lt; &lt;= &gt; &gt;= =~ !~</c>.</summary>
    public static bool IsComparison(BinaryOperator op) =>
        op is BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Regex or BinaryOperator.NotRegex
            or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual;

    /// <summary>True for <c>+ - * / % ^</c>.</summary>
    public static bool IsArithmetic(BinaryOperator op) => op <= BinaryOperator.Power;
}
