using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Lexing;
using OtelStorage.TraceQL.Values;
using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Tokens, their positions, and Tempo's rules for attribute names, durations and strings.</summary>
public sealed class LexerTests
{
    [Fact]
    public void TokensCarryTheirOffsetLineAndColumn()
    {
        var tokens = Lexer.Tokenize("{\n  .a >= 10ms\n}");

        Assert.Equal(
            [
                (TokenKind.OpenBrace, new SourcePosition(0, 1, 1)),
                (TokenKind.Attribute, new SourcePosition(4, 2, 3)),
                (TokenKind.GreaterOrEqual, new SourcePosition(7, 2, 6)),
                (TokenKind.Duration, new SourcePosition(10, 2, 9)),
                (TokenKind.CloseBrace, new SourcePosition(15, 3, 1)),
                (TokenKind.End, new SourcePosition(16, 3, 2)),
            ],
            tokens.Select(t => (t.Kind, t.Position)));
    }

    [Theory]
    [InlineData("!>>", nameof(TokenKind.NotDescendant))]
    [InlineData("!<<", nameof(TokenKind.NotAncestor))]
    [InlineData("&>>", nameof(TokenKind.UnionDescendant))]
    [InlineData("&<<", nameof(TokenKind.UnionAncestor))]
    [InlineData("&>", nameof(TokenKind.UnionChild))]
    [InlineData("&<", nameof(TokenKind.UnionParent))]
    [InlineData("&~", nameof(TokenKind.UnionSibling))]
    [InlineData("!>", nameof(TokenKind.NotChild))]
    [InlineData("!<", nameof(TokenKind.NotParent))]
    [InlineData("!~", nameof(TokenKind.NotRegex))]
    [InlineData("=~", nameof(TokenKind.Regex))]
    [InlineData("!=", nameof(TokenKind.NotEqual))]
    [InlineData(">>", nameof(TokenKind.Descendant))]
    [InlineData("<<", nameof(TokenKind.Ancestor))]
    [InlineData(">=", nameof(TokenKind.GreaterOrEqual))]
    [InlineData("<=", nameof(TokenKind.LessOrEqual))]
    [InlineData("&&", nameof(TokenKind.And))]
    [InlineData("||", nameof(TokenKind.Or))]
    [InlineData("~", nameof(TokenKind.Tilde))]
    [InlineData("^", nameof(TokenKind.Caret))]
    [InlineData("%", nameof(TokenKind.Percent))]
    public void OperatorsTakeTheLongestSpelling(string text, string kind)
    {
        var tokens = Lexer.Tokenize(text);

        Assert.Equal([kind, nameof(TokenKind.End)], tokens.Select(t => t.Kind.ToString()));
    }

    [Theory]
    [InlineData(".foo", AttributeScope.None, "foo")]
    [InlineData(".foo.bar.baz", AttributeScope.None, "foo.bar.baz")]
    [InlineData(".http-status", AttributeScope.None, "http-status")]
    [InlineData(".http+", AttributeScope.None, "http+")]
    [InlineData(".foo.3", AttributeScope.None, "foo.3")]
    [InlineData(".\U0001F61D", AttributeScope.None, "\U0001F61D")]
    [InlineData("span.http.route", AttributeScope.Span, "http.route")]
    [InlineData("resource.service.name", AttributeScope.Resource, "service.name")]
    [InlineData("event.exception.message", AttributeScope.Event, "exception.message")]
    [InlineData("link.opentracing.ref_type", AttributeScope.Link, "opentracing.ref_type")]
    [InlineData("instrumentation.language", AttributeScope.Instrumentation, "language")]
    [InlineData("span.\"attribute name with space\"", AttributeScope.Span, "attribute name with space")]
    [InlineData("span.attribute.\"attribute name with space\"", AttributeScope.Span, "attribute.attribute name with space")]
    [InlineData(".\"bar z\".foo.\"bar\"", AttributeScope.None, "bar z.foo.bar")]
    [InlineData(".foo.\"bar \\\" baz\"", AttributeScope.None, "foo.bar \" baz")]
    [InlineData(".foo.\"bar \\\\ baz\"", AttributeScope.None, "foo.bar \\ baz")]
    [InlineData("span.duration", AttributeScope.Span, "duration")]
    public void AttributeNamesRunToAnOperatorOrSpaceAndMayQuoteParts(string text, AttributeScope scope, string name)
    {
        var token = Lexer.Tokenize(text)[0];

        Assert.Equal((TokenKind.Attribute, scope, name), (token.Kind, token.Scope, token.Name));
    }

    [Theory]
    [InlineData("100ms", 100_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("1h30m", 5_400_000_000_000L)]
    [InlineData("1.5m", 90_000_000_000L)]
    [InlineData("5us", 5_000L)]
    [InlineData("5\u00b5s", 5_000L)]
    [InlineData("7ns", 7L)]
    [InlineData("2d", 172_800_000_000_000L)]
    [InlineData("1w", 604_800_000_000_000L)]
    public void DurationsTakeGoAndPrometheusUnits(string text, long nanos)
    {
        var token = Lexer.Tokenize(text)[0];

        Assert.Equal((TokenKind.Duration, TraceQLValue.Duration(nanos)), (token.Kind, token.Value));
    }

    [Theory]
    [InlineData("42", nameof(TokenKind.Integer), "42")]
    [InlineData("1.25", nameof(TokenKind.Float), "1.25")]
    [InlineData(".5", nameof(TokenKind.Float), "0.5")]
    [InlineData("1.", nameof(TokenKind.Float), "1.0")]
    [InlineData("1e3", nameof(TokenKind.Float), "1000.0")]
    [InlineData("\"GET\"", nameof(TokenKind.String), "\"GET\"")]
    [InlineData("`raw \\n`", nameof(TokenKind.String), "\"raw \\\\n\"")]
    [InlineData("\"tab\\t\\u00e9\\x41\\101\\\"\"", nameof(TokenKind.String), "\"tab\\téAA\\\"\"")]
    public void LiteralsCarryTheirValue(string text, string kind, string value)
    {
        var token = Lexer.Tokenize(text)[0];

        Assert.Equal((kind, value), (token.Kind.ToString(), token.Value.ToString()));
    }

    [Theory]
    [InlineData("span:id", "span:id")]
    [InlineData("trace:rootService", "trace:rootService")]
    [InlineData("event:timeSinceStart", "event:timeSinceStart")]
    public void ScopedIntrinsicsAreOneToken(string text, string expected)
    {
        var token = Lexer.Tokenize(text)[0];

        Assert.Equal((TokenKind.ScopedIntrinsic, expected), (token.Kind, token.Text));
    }
}
