using System.Globalization;
using System.Text;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Lexing;

/// <summary>
/// Splits a query into tokens with positions. Attribute names follow Tempo: after a scope (<c>span.</c>, <c>.</c>...)
/// every character up to whitespace or one of <c>{ } ( ) = ~ ! &lt; &gt; &amp; | ^ ,</c> belongs to the name, and
/// double-quoted parts may hold anything, with <c>\"</c> and <c>\\</c> as the only escapes.
/// </summary>
internal sealed partial class Lexer
{
    private const string AttributeTerminators = "{}()=~!<>&|^,";

    private static readonly (string Text, TokenKind Kind)[] Operators =
    [
        ("!>>", TokenKind.NotDescendant), ("!<<", TokenKind.NotAncestor), ("&>>", TokenKind.UnionDescendant), ("&<<", TokenKind.UnionAncestor),
        ("!=", TokenKind.NotEqual), ("=~", TokenKind.Regex), ("!~", TokenKind.NotRegex), (">=", TokenKind.GreaterOrEqual),
        ("<=", TokenKind.LessOrEqual), ("&&", TokenKind.And), ("||", TokenKind.Or), (">>", TokenKind.Descendant),
        ("<<", TokenKind.Ancestor), ("!>", TokenKind.NotChild), ("!<", TokenKind.NotParent), ("&>", TokenKind.UnionChild),
        ("&<", TokenKind.UnionParent), ("&~", TokenKind.UnionSibling),
        ("{", TokenKind.OpenBrace), ("}", TokenKind.CloseBrace), ("(", TokenKind.OpenParen), (")", TokenKind.CloseParen),
        (",", TokenKind.Comma), ("|", TokenKind.Pipe), ("=", TokenKind.Equal), (">", TokenKind.Greater), ("<", TokenKind.Less),
        ("!", TokenKind.Not), ("+", TokenKind.Plus), ("-", TokenKind.Minus), ("*", TokenKind.Star), ("/", TokenKind.Slash),
        ("%", TokenKind.Percent), ("^", TokenKind.Caret), ("~", TokenKind.Tilde),
    ];

    private static readonly Dictionary<string, AttributeScope> Scopes = new(StringComparer.Ordinal)
    {
        ["span"] = AttributeScope.Span,
        ["resource"] = AttributeScope.Resource,
        ["event"] = AttributeScope.Event,
        ["link"] = AttributeScope.Link,
        ["instrumentation"] = AttributeScope.Instrumentation,
    };

    private readonly string _text;
    private int _offset;
    private int _line = 1;
    private int _lineStart;

    private Lexer(string text)
    {
        _text = text;
    }

    /// <summary>Every token of <paramref name="text"/>, ending with <see cref="TokenKind.End"/>.</summary>
    /// <exception cref="TraceQLParseException">A character or literal that is not TraceQL.</exception>
    public static List<Token> Tokenize(string text)
    {
        var lexer = new Lexer(text);
        var tokens = new List<Token>();
        Token token;
        do
        {
            token = lexer.Next();
            tokens.Add(token);
        }
        while (token.Kind != TokenKind.End);

        return tokens;
    }

    private SourcePosition Here => new(_offset, _line, _offset - _lineStart + 1);

    private char Peek(int ahead = 0) => _offset + ahead < _text.Length ? _text[_offset + ahead] : '\0';

    private bool AtEnd => _offset >= _text.Length;

    private void Advance()
    {
        if (_text[_offset] == '\n')
        {
            _line++;
            _lineStart = _offset + 1;
        }

        _offset++;
    }

    private string SourceFrom(SourcePosition start) => _text[start.Offset.._offset];

    private Token Next()
    {
        while (!AtEnd && char.IsWhiteSpace(Peek()))
        {
            Advance();
        }

        var start = Here;
        if (AtEnd)
        {
            return new Token(TokenKind.End, "", start);
        }

        var c = Peek();
        return c switch
        {
            '"' => ReadQuotedString(start),
            '`' => ReadRawString(start),
            '.' when char.IsAsciiDigit(Peek(1)) => ReadNumber(start),
            '.' => ReadAttribute(start, AttributeScope.None, "."),
            _ when char.IsAsciiDigit(c) => ReadNumber(start),
            _ when char.IsLetter(c) || c == '_' => ReadWord(start),
            _ => ReadOperator(start),
        };
    }

    private Token ReadOperator(SourcePosition start)
    {
        foreach (var (text, kind) in Operators)
        {
            if (_offset + text.Length <= _text.Length && string.CompareOrdinal(_text, _offset, text, 0, text.Length) == 0)
            {
                for (var i = 0; i < text.Length; i++)
                {
                    Advance();
                }

                return new Token(kind, text, start);
            }
        }

        throw TraceQLParseException.Syntax(start, $"unexpected character '{Peek()}'");
    }

    private Token ReadWord(SourcePosition start)
    {
        var word = ReadIdentifier();
        if (Peek() == '.')
        {
            if (Scopes.TryGetValue(word, out var scope))
            {
                Advance();
                return ReadAttribute(start, scope, word + ".", consumeDot: false);
            }

            throw word == "parent"
                ? TraceQLParseException.Syntax(start, "the parent. scope is not supported; use a structural operator such as { ... } > { ... }")
                : TraceQLParseException.Syntax(start, $"unknown attribute scope '{word}.'; use span., resource., event., link., instrumentation. or a leading . for a span or resource attribute");
        }

        if (Peek() == ':')
        {
            Advance();
            if (!char.IsLetter(Peek()))
            {
                throw TraceQLParseException.Syntax(Here, $"expected an intrinsic name after '{word}:'");
            }

            var name = ReadIdentifier();
            return new Token(TokenKind.ScopedIntrinsic, word + ":" + name, start);
        }

        return new Token(TokenKind.Identifier, word, start);
    }

    private string ReadIdentifier()
    {
        var begin = _offset;
        while (!AtEnd && (char.IsLetterOrDigit(Peek()) || Peek() == '_'))
        {
            Advance();
        }

        return _text[begin.._offset];
    }

    private Token ReadAttribute(SourcePosition start, AttributeScope scope, string prefix, bool consumeDot = true)
    {
        if (consumeDot)
        {
            Advance();
        }

        var name = new StringBuilder();
        while (!AtEnd)
        {
            var c = Peek();
            if (c == '"')
            {
                ReadQuotedAttributePart(name);
            }
            else if (!char.IsWhiteSpace(c) && !AttributeTerminators.Contains(c, StringComparison.Ordinal))
            {
                name.Append(c);
                Advance();
            }
            else
            {
                break;
            }
        }

        if (name.Length == 0)
        {
            throw TraceQLParseException.Syntax(Here, $"expected an attribute name after '{prefix}'");
        }

        return new Token(TokenKind.Attribute, SourceFrom(start), start) { Scope = scope, Name = name.ToString() };
    }

    private void ReadQuotedAttributePart(StringBuilder name)
    {
        var quote = Here;
        Advance();
        while (!AtEnd && Peek() != '"')
        {
            if (Peek() == '\\')
            {
                var escape = Here;
                Advance();
                if (Peek() is not ('"' or '\\'))
                {
                    throw TraceQLParseException.Syntax(escape, "invalid escape in a quoted attribute name; only \\\" and \\\\ are allowed");
                }
            }

            name.Append(Peek());
            Advance();
        }

        if (AtEnd)
        {
            throw TraceQLParseException.Syntax(quote, "unterminated quoted attribute name; expected a closing \"");
        }

        Advance();
    }

    private Token ReadNumber(SourcePosition start)
    {
        var isFloat = false;
        while (char.IsAsciiDigit(Peek()))
        {
            Advance();
        }

        if (Peek() == '.')
        {
            isFloat = true;
            Advance();
            while (char.IsAsciiDigit(Peek()))
            {
                Advance();
            }
        }

        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            isFloat = true;
            Advance();
            if (Peek() is '+' or '-')
            {
                Advance();
            }

            while (char.IsAsciiDigit(Peek()))
            {
                Advance();
            }
        }

        if (char.IsLetter(Peek()) || Peek() == '\u00b5')
        {
            return ReadDuration(start);
        }

        var text = SourceFrom(start);
        if (isFloat)
        {
            var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return double.IsFinite(value)
                ? new Token(TokenKind.Float, text, start) { Value = TraceQLValue.Float(value) }
                : throw TraceQLParseException.Syntax(start, $"the number {text} is out of range");
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var integer)
            ? new Token(TokenKind.Integer, text, start) { Value = TraceQLValue.Int(integer) }
            : throw TraceQLParseException.Syntax(start, $"the integer {text} is out of range; the largest is 9223372036854775807, also written maxInt");
    }

    private Token ReadDuration(SourcePosition start)
    {
        while (char.IsLetterOrDigit(Peek()) || Peek() is '.' or '\u00b5')
        {
            Advance();
        }

        var text = SourceFrom(start);
        return DurationText.TryParse(text, out var nanos)
            ? new Token(TokenKind.Duration, text, start) { Value = TraceQLValue.Duration(nanos) }
            : throw TraceQLParseException.Syntax(start, $"invalid duration '{text}'; write a number and a unit (ns, us, ms, s, m, h, d, w, y), for example 100ms, 1.5s or 1h30m");
    }
}
