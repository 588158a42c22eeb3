namespace OtelStorage.TraceQL.Lexing;

/// <summary>A place in the query text: a 0-based character offset and the 1-based line and column it falls on.</summary>
public readonly record struct SourcePosition(int Offset, int Line, int Column)
{
    /// <summary>Line and column, as error messages write them: <c>1:14</c>.</summary>
    public override string ToString() => $"{Line}:{Column}";
}
