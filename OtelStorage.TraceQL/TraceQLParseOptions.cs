namespace OtelStorage.TraceQL;

/// <summary>Limits that keep hostile queries cheap to reject or run.</summary>
public sealed record TraceQLParseOptions
{
    /// <summary>The defaults: 64 KiB of query text, 128 levels of nesting, 1 s per regular expression match.</summary>
    public static TraceQLParseOptions Default { get; } = new();

    /// <summary>The longest query accepted, in characters.</summary>
    public int MaxQueryLength { get; init; } = 64 * 1024;

    /// <summary>
    /// How deeply the query may nest: parentheses, braces, unary operators and the height of operator chains all count.
    /// Chains of one <c>&amp;&amp;</c> or <c>||</c> are balanced, so hundreds of conditions stay shallow.
    /// </summary>
    public int MaxNestingDepth { get; init; } = 128;

    /// <summary>
    /// How long one regular expression may take to match one value. Matching is linear in the value's length, so this
    /// only stops huge values; it is generous because a wall-clock limit also counts the time a busy machine is not running us.
    /// </summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
