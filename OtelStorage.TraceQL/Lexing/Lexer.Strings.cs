using System.Globalization;
using System.Text;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Lexing;

/// <summary>String literals, unquoted as Go's <c>strconv.Unquote</c> does, since that is what Tempo uses.</summary>
internal sealed partial class Lexer
{
    private Token ReadRawString(SourcePosition start)
    {
        Advance();
        var begin = _offset;
        while (!AtEnd && Peek() != '`')
        {
            Advance();
        }

        if (AtEnd)
        {
            throw TraceQLParseException.Syntax(start, "unterminated string; expected a closing `");
        }

        var value = _text[begin.._offset];
        Advance();
        return new Token(TokenKind.String, SourceFrom(start), start) { Value = TraceQLValue.String(value) };
    }

    private Token ReadQuotedString(SourcePosition start)
    {
        Advance();
        var value = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw TraceQLParseException.Syntax(start, "unterminated string; expected a closing \"");
            }

            var c = Peek();
            if (c == '"')
            {
                Advance();
                return new Token(TokenKind.String, SourceFrom(start), start) { Value = TraceQLValue.String(value.ToString()) };
            }

            if (c == '\n')
            {
                throw TraceQLParseException.Syntax(Here, "newline in string; write \\n instead");
            }

            if (c == '\\')
            {
                ReadEscape(value);
            }
            else
            {
                value.Append(c);
                Advance();
            }
        }
    }

    private void ReadEscape(StringBuilder value)
    {
        var escape = Here;
        Advance();
        var c = AtEnd ? '\0' : Peek();
        if (!AtEnd)
        {
            Advance();
        }

        switch (c)
        {
            case 'a': value.Append('\a'); return;
            case 'b': value.Append('\b'); return;
            case 'f': value.Append('\f'); return;
            case 'n': value.Append('\n'); return;
            case 'r': value.Append('\r'); return;
            case 't': value.Append('\t'); return;
            case 'v': value.Append('\v'); return;
            case '\\': value.Append('\\'); return;
            case '"': value.Append('"'); return;
            case 'x': AppendCodePoint(value, ReadHex(2, escape), escape); return;
            case 'u': AppendCodePoint(value, ReadHex(4, escape), escape); return;
            case 'U': AppendCodePoint(value, ReadHex(8, escape), escape); return;
            case >= '0' and <= '7':
                var octal = c - '0';
                for (var i = 0; i < 2; i++)
                {
                    if (Peek() is < '0' or > '7')
                    {
                        throw InvalidEscape(escape);
                    }

                    octal = (octal * 8) + (Peek() - '0');
                    Advance();
                }

                AppendCodePoint(value, octal > 255 ? throw InvalidEscape(escape) : octal, escape);
                return;
            default:
                throw InvalidEscape(escape);
        }
    }

    private int ReadHex(int digits, SourcePosition escape)
    {
        var begin = _offset;
        for (var i = 0; i < digits; i++)
        {
            if (!char.IsAsciiHexDigit(Peek()))
            {
                throw InvalidEscape(escape);
            }

            Advance();
        }

        return int.TryParse(_text.AsSpan(begin, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            ? code
            : throw InvalidEscape(escape);
    }

    private static void AppendCodePoint(StringBuilder value, int codePoint, SourcePosition escape)
    {
        if (codePoint is < 0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF))
        {
            throw InvalidEscape(escape);
        }

        value.Append(char.ConvertFromUtf32(codePoint));
    }

    private static TraceQLParseException InvalidEscape(SourcePosition escape) =>
        TraceQLParseException.Syntax(escape, "invalid escape in string; use \\\", \\\\, \\n, \\t, \\r, \\xHH, \\uHHHH or \\UHHHHHHHH");
}
