using System.Globalization;
using System.Text;

namespace Query.Api.Reading;

/// <summary>
/// The TraceQL subset that Grafana's Tempo search builder writes: one span set of conditions joined by <c>&amp;&amp;</c>,
/// for example <c>{ resource.service.name = "cart" &amp;&amp; span.http.response.status_code = 500 &amp;&amp; status = error
/// &amp;&amp; duration &gt; 100ms }</c>. Attributes (<c>span.x</c>, <c>resource.x</c>, <c>.x</c>) and the intrinsics <c>name</c>,
/// <c>status</c> and <c>kind</c> take <c>=</c>; <c>duration</c> takes <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c> and
/// <c>=</c>. Anything else (<c>||</c>, <c>!=</c>, regular expressions, pipelines, several span sets) is refused with a
/// message naming it, never silently ignored. Attribute scopes are not told apart: <c>span.x</c> also matches a
/// resource attribute <c>x</c>, as the logfmt <c>tags</c> search does.
/// </summary>
public static class TraceQl
{
    /// <summary>Adds the conditions of <paramref name="query"/> to <paramref name="criteria"/>.</summary>
    /// <exception cref="QueryParameterException">The query is not in the supported subset; the message says why.</exception>
    public static void Apply(string query, SearchCriteria criteria)
    {
        var tokens = new Lexer(query);
        tokens.Expect("{");
        if (tokens.TryTake("}"))
        {
            tokens.ExpectEnd();
            return;
        }

        do
        {
            var field = tokens.Field();
            var op = tokens.Operator();
            var value = tokens.Value();
            ApplyCondition(field, op, value, criteria);
        }
        while (tokens.TryTake("&&"));

        tokens.Expect("}");
        tokens.ExpectEnd();
    }

    private static void ApplyCondition(string field, string op, Literal value, SearchCriteria criteria)
    {
        var name = field.StartsWith("span:", StringComparison.Ordinal) ? field[5..] : field;
        if (name == "duration")
        {
            var nanos = value.Kind == LiteralKind.Duration
                ? QueryParsing.Duration(value.Text, "TraceQL duration")
                : throw new QueryParameterException($"TraceQL: duration compares with a duration such as 100ms, got {value.Text}");
            switch (op)
            {
                case ">": criteria.MinDurationNanos = Math.Max(criteria.MinDurationNanos ?? 0, nanos + 1); break;
                case ">=": criteria.MinDurationNanos = Math.Max(criteria.MinDurationNanos ?? 0, nanos); break;
                case "<": criteria.MaxDurationNanos = Math.Min(criteria.MaxDurationNanos ?? long.MaxValue, nanos - 1); break;
                case "<=": criteria.MaxDurationNanos = Math.Min(criteria.MaxDurationNanos ?? long.MaxValue, nanos); break;
                default:
                    criteria.MinDurationNanos = nanos;
                    criteria.MaxDurationNanos = nanos;
                    break;
            }

            return;
        }

        if (op != "=")
        {
            throw new QueryParameterException($"TraceQL: only = is supported for {field}, got {op}");
        }

        switch (name)
        {
            case "name":
            case "status":
            case "kind":
                criteria.AddTag(name, value.Text);
                return;
        }

        var key = field.StartsWith("span.", StringComparison.Ordinal) ? field[5..]
            : field.StartsWith("resource.", StringComparison.Ordinal) ? field[9..]
            : field.StartsWith('.') ? field[1..]
            : throw new QueryParameterException($"TraceQL: unsupported field '{field}'; use name, status, kind, duration, span.<attribute>, resource.<attribute> or .<attribute>");
        if (value.Kind is LiteralKind.Enum)
        {
            throw new QueryParameterException($"TraceQL: {field} compares with a quoted string, a number or true/false, got {value.Text}");
        }

        // Tags filter on the span's or its resource's attribute, compared as text (see SearchCriteria).
        criteria.AddTag(key, value.Text);
    }

    private enum LiteralKind
    {
        String,
        Number,
        Duration,
        Boolean,
        Enum,
    }

    private readonly record struct Literal(LiteralKind Kind, string Text);

    private sealed class Lexer(string text)
    {
        private int _position;

        public void Expect(string token)
        {
            if (!TryTake(token))
            {
                throw Unsupported($"expected '{token}'");
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_position < text.Length)
            {
                throw Unsupported("only one span set { ... } is supported");
            }
        }

        public bool TryTake(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _position, token, 0, token.Length) == 0)
            {
                _position += token.Length;
                return true;
            }

            return false;
        }

        public string Field()
        {
            SkipSpace();
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '.' or '_' or '-' or ':' or '/'))
            {
                _position++;
            }

            return _position > start ? text[start.._position] : throw Unsupported("expected a field such as name, duration or span.http.route");
        }

        public string Operator()
        {
            foreach (var op in new[] { ">=", "<=", "!=", "=~", "!~", "=", ">", "<" })
            {
                if (TryTake(op))
                {
                    return op is "!=" or "=~" or "!~" ? throw Unsupported($"the operator {op} is not supported; use =") : op;
                }
            }

            throw Unsupported("expected an operator such as = or >");
        }

        public Literal Value()
        {
            SkipSpace();
            if (_position < text.Length && text[_position] == '"')
            {
                return new Literal(LiteralKind.String, QuotedString());
            }

            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '.' or '_' or '-' or '+'))
            {
                _position++;
            }

            var word = text[start.._position];
            if (word.Length == 0)
            {
                throw Unsupported("expected a value");
            }

            if (word is "true" or "false")
            {
                return new Literal(LiteralKind.Boolean, word);
            }

            if (double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return new Literal(LiteralKind.Number, word);
            }

            return char.IsAsciiDigit(word[0]) ? new Literal(LiteralKind.Duration, word) : new Literal(LiteralKind.Enum, word);
        }

        private string QuotedString()
        {
            var value = new StringBuilder();
            _position++;
            while (_position < text.Length)
            {
                var c = text[_position++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\' && _position < text.Length)
                {
                    c = text[_position++] switch { 'n' => '\n', 't' => '\t', var escaped => escaped };
                }

                value.Append(c);
            }

            throw Unsupported("unterminated string");
        }

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private QueryParameterException Unsupported(string what) =>
            new($"TraceQL (q) at position {_position}: {what}. Supported: one span set of conditions joined by &&, for example {{ resource.service.name = \"cart\" && status = error && duration > 100ms }}");
    }
}
