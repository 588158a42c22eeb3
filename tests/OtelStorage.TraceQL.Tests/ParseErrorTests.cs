using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Invalid queries fail with one exception type whose message names the line and column and what was expected.</summary>
public sealed class ParseErrorTests
{
    [Theory]
    [InlineData("{ .a = }", "parse error at 1:8: expected a value after '=', found '}'")]
    [InlineData("{ span.http.status_code = 200", "parse error at 1:30: expected '}' to close the '{' at 1:1, found end of query")]
    [InlineData("{ .a = \"open }", "parse error at 1:8: unterminated string; expected a closing \"")]
    [InlineData("{ 2 <> 3}", "parse error at 1:6: expected a value after '<', found '>'")]
    [InlineData("{ + }", "parse error at 1:3: expected a field such as span.http.route or duration, or a value, found '+'")]
    [InlineData("{ . foo }", "parse error at 1:4: expected an attribute name after '.'")]
    [InlineData("{ .foo .bar }", "parse error at 1:8: expected '}' to close the '{' at 1:1, found .bar")]
    [InlineData("{ span. = 1 }", "parse error at 1:8: expected an attribute name after 'span.'")]
    [InlineData("{ .\"foo }", "parse error at 1:4: unterminated quoted attribute name; expected a closing \"")]
    [InlineData("{ true } &&", "parse error at 1:12: expected a span set such as { } or a value after '&&', found end of query")]
    [InlineData("count(.thing)", "parse error at 1:7: expected ')': count() takes no argument, found .thing")]
    [InlineData("(avg(.foo) > count()) + sum(.bar)", "parse error at 1:23: '+' cannot join the span set (avg(.foo) > count()) with sum(.bar); compare aggregates after a pipe, as in { } | count() > 1")]
    [InlineData("{ .a = 1 } | count()", "parse error at 1:14: count() must be compared with a value, for example count() > 1")]
    [InlineData("{ } | count() > 1 > 2", "parse error at 1:19: expected '|' after count() > 1, found '>'")]
    [InlineData("{ } && count() > 1", "parse error at 1:8: '&&' joins span sets such as { status = error }; count() > 1 is not one (put a pipeline in parentheses to use it as one)")]
    [InlineData("{ } = { }", "parse error at 1:5: '=' does not join span sets; use &&, ||, >, <, >>, <<, ~ or their !, & forms")]
    [InlineData("wharblgarbl", "parse error at 1:1: expected a span set such as { span.http.route = \"/\" }, an aggregate such as count(), or by(), select() or coalesce(), found wharblgarbl")]
    [InlineData("", "parse error at 1:1: expected a query such as { } or { span.http.route = \"/\" }, found end of query")]
    [InlineData("{ } }", "parse error at 1:5: expected '|', an operator or the end of the query, found '}'")]
    [InlineData("{ } | coalesce", "parse error at 1:15: expected '(' after coalesce, found end of query")]
    [InlineData("coalesce()", "parse error at 1:1: coalesce() merges the span sets of an earlier by(); write it after one, as in { } | by(name) | coalesce()")]
    [InlineData("{ } | select(1)", "parse error at 1:14: select() takes attributes and intrinsics such as span.http.route or duration, found '1'")]
    [InlineData("{ } with most_recent=true", "parse error at 1:10: expected '(' after with, found most_recent")]
    [InlineData("{ } with (most_recent)", "parse error at 1:22: expected '=' after the hint most_recent, found ')'")]
    public void SyntaxErrorsNameThePositionAndWhatWasExpected(string query, string message)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("{ foo = 1 }", "parse error at 1:3: unknown identifier 'foo'; an attribute needs a scope, as in span.foo, resource.foo or .foo")]
    [InlineData("{ foo.bar = 1 }", "parse error at 1:3: unknown attribute scope 'foo.'; use span., resource., event., link., instrumentation. or a leading . for a span or resource attribute")]
    [InlineData("{ parent.foo = 1 }", "parse error at 1:3: the parent. scope is not supported; use a structural operator such as { ... } > { ... }")]
    [InlineData("{ trace:name = \"x\" }", "parse error at 1:3: unknown intrinsic 'trace:name'")]
    [InlineData("{ trace:rootServiceName = \"x\" }", "parse error at 1:3: unknown intrinsic 'trace:rootServiceName'")]
    [InlineData("{ span:rootServiceName = \"x\" }", "parse error at 1:3: unknown intrinsic 'span:rootServiceName'")]
    [InlineData("{ :duration > 1s }", "parse error at 1:3: unexpected character ':'")]
    [InlineData("{ duration > 10mins }", "parse error at 1:14: invalid duration '10mins'; write a number and a unit (ns, us, ms, s, m, h, d, w, y), for example 100ms, 1.5s or 1h30m")]
    [InlineData("{ .a = 99999999999999999999 }", "parse error at 1:8: the integer 99999999999999999999 is out of range; the largest is 9223372036854775807, also written maxInt")]
    [InlineData("{ .a = \"\\q\" }", "parse error at 1:9: invalid escape in string; use \\\", \\\\, \\n, \\t, \\r, \\xHH, \\uHHHH or \\UHHHHHHHH")]
    [InlineData("{ } | rate()", "parse error at 1:7: rate() is a TraceQL metrics function; metrics queries are not supported yet, only searches")]
    [InlineData("{ nestedSetLeft > 1 }", "parse error at 1:3: 'nestedSetLeft' is not supported; use a structural operator such as { } > { }")]
    public void UnknownNamesAreParseErrors(string query, string message)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ span.a = 1 } | count() > \"x\"", "invalid query at 1:28: aggregates compare with numbers and durations; \"x\" is a string")]
    [InlineData("avg(name) > 1", "invalid query at 1:5: avg() needs a number or a duration; name is a string")]
    [InlineData("{ } | sum(status) > 1", "invalid query at 1:11: sum() needs a number or a duration; status is a status")]
    [InlineData("avg(1) > 1", "invalid query at 1:5: avg() needs a field of the span, such as avg(duration)")]
    [InlineData("{ .a =~ \"(\" }", "invalid query at 1:9: invalid regular expression \"(\": ")]
    [InlineData("{ .a =~ \"(a)\\\\1\" }", "invalid query at 1:9: invalid regular expression \"(a)\\\\1\": ")]
    [InlineData("{ status = server }", "invalid query at 1:10: cannot compare a status with a kind: status = server")]
    [InlineData("{ kind != ok }", "invalid query at 1:8: cannot compare a kind with a status: kind != ok")]
    [InlineData("{ status > ok }", "invalid query at 1:3: '>' needs numbers, durations or strings; status is a status")]
    [InlineData("{ name = 1 }", "invalid query at 1:8: cannot compare a string with an integer: name = 1")]
    [InlineData("{ duration > \"1s\" }", "invalid query at 1:12: cannot compare a duration with a string: duration > \"1s\"")]
    [InlineData("{ name + 1 > 2 }", "invalid query at 1:3: '+' needs numbers; name is a string")]
    [InlineData("{ !name }", "invalid query at 1:3: '!' needs true or false; name is a string")]
    [InlineData("{ -status = 1 }", "invalid query at 1:3: '-' needs a number; status is a status")]
    [InlineData("{ name && .a }", "invalid query at 1:3: '&&' needs true or false; name is a string")]
    [InlineData("{ 1 }", "invalid query at 1:3: a span set needs a condition that is true or false, such as { span.http.status_code = 200 }; 1 is an integer")]
    [InlineData("{ .a > nil }", "invalid query at 1:6: nil compares only with = and !=, as in span.x != nil; found '>'")]
    [InlineData("{ .a =~ 1 }", "invalid query at 1:9: '=~' needs strings; 1 is an integer")]
    [InlineData("by(1)", "invalid query at 1:4: by() needs a field of the span, such as by(resource.service.name)")]
    [InlineData("({ } | by(.a)) >> { }", "invalid query at 1:16: '>>' compares one span set per trace on each side; end a by() with | coalesce() first")]
    public void SemanticErrorsNameThePositionOfTheOffendingPart(string query, string message)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse(query));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorsOnLaterLinesCountLinesAndColumns()
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse("{\n  span.a = 1 &&\n  span.b =\n}"));

        Assert.Equal("parse error at 4:1: expected a value after '=', found '}'", error.Message);
        Assert.Equal((4, 1, 29), (error.Position.Line, error.Position.Column, error.Position.Offset));
        Assert.Equal("expected a value after '=', found '}'", error.Detail);
    }

    [Fact]
    public void AQueryLongerThanTheLimitIsRefusedBeforeParsing()
    {
        var options = new TraceQLParseOptions { MaxQueryLength = 10 };

        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse("{ .abcdefghij = 1 }", options));

        Assert.Equal("the query is 19 characters long; the limit is 10", error.Message);
    }

    [Fact]
    public void ARegexWhoseGroupWouldSwallowTheAnchoringIsRefused()
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLQuery.Parse("{ .a =~ \"a\\\\\" }"));

        Assert.StartsWith("invalid query at 1:9: invalid regular expression", error.Message, StringComparison.Ordinal);
    }
}
