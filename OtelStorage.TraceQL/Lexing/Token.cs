using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Lexing;

/// <summary>
/// One token of a query. <see cref="Text"/> is the source text; literals carry their <see cref="Value"/> and attributes
/// their <see cref="Scope"/> and unquoted <see cref="Name"/>.
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position)
{
    /// <summary>The value of an integer, float, duration or string literal.</summary>
    public TraceQLValue Value { get; init; }

    /// <summary>The scope of an attribute token.</summary>
    public AttributeScope Scope { get; init; }

    /// <summary>The name of an attribute token, with quoted parts unquoted.</summary>
    public string Name { get; init; } = "";

    /// <summary>How error messages name the token: <c>'}'</c>, <c>end of query</c>, <c>"GET"</c>.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of query",
        TokenKind.String => Value.ToString(),
        TokenKind.Identifier or TokenKind.ScopedIntrinsic or TokenKind.Attribute => Text,
        _ => $"'{Text}'",
    };
}
