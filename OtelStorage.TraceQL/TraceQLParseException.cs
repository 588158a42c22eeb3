using OtelStorage.TraceQL.Lexing;

namespace OtelStorage.TraceQL;

/// <summary>
/// The query is not valid TraceQL: a syntax error, or a semantic one such as comparing a status with a kind or a regular
/// expression that does not compile. The message names the line and column and what was expected, for example
/// <c>parse error at 1:14: expected a value after '=', found '}'</c>.
/// </summary>
public sealed class TraceQLParseException : Exception
{
    /// <summary>An error without a position.</summary>
    public TraceQLParseException()
        : this("invalid TraceQL query")
    {
    }

    /// <summary>An error without a position.</summary>
    public TraceQLParseException(string message)
        : base(message)
    {
        Detail = message;
    }

    /// <summary>An error without a position, caused by <paramref name="innerException"/>.</summary>
    public TraceQLParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Detail = message;
    }

    private TraceQLParseException(string kind, SourcePosition position, string detail, Exception? innerException)
        : base($"{kind} at {position}: {detail}", innerException)
    {
        Position = position;
        Detail = detail;
    }

    /// <summary>Where in the query the problem is.</summary>
    public SourcePosition Position { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Detail { get; }

    internal static TraceQLParseException Syntax(SourcePosition position, string detail) => new("parse error", position, detail, null);

    internal static TraceQLParseException Semantic(SourcePosition position, string detail, Exception? innerException = null) =>
        new("invalid query", position, detail, innerException);
}
