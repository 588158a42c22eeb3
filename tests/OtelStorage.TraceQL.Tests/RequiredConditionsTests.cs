using OtelStorage.TraceQL.Conditions;
using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>What every result span of a span filter must satisfy, field by field, with what <c>||</c> implies.</summary>
public sealed class RequiredConditionsTests
{
    [Theory]
    [InlineData("{ resource.service.name = \"a\" || resource.service.name = \"b\" }", "resource.service.name = \"a\" | resource.service.name = \"b\"")]
    [InlineData("{ (.a = 1 || .a = 2) && span.c >= 500 }", ".a = 1 | .a = 2; span.c >= 500")]
    [InlineData("{ (name = \"x\" && .b = 1) || (name = \"y\" && .c = 2) }", "span:name = \"x\" | span:name = \"y\"")]
    [InlineData("{ .a = 1 || .b = 2 }", "")]
    [InlineData("{ 500 <= span.c }", "span.c >= 500")]
    [InlineData("{ !(.a = 1) }", "")]
    [InlineData("{ .a = 1 } | { .b = 2 } | select(.c)", ".a = 1; .b = 2")]
    [InlineData("{ .a = 1 } >> { .b = 2 }", "")]
    [InlineData("{ .a = 1 } | count() > 1", "")]
    [InlineData("{ span.a = nil }", "")]
    public void EachGroupHoldsTheAlternativesOfOneFieldThatEveryResultSpanSatisfies(string traceQl, string expected)
    {
        var groups = RequiredConditions.Of(TraceQLQuery.Parse(traceQl));

        Assert.Equal(expected, string.Join("; ", groups.Select(g => string.Join(" | ", g.AnyOf))));
        Assert.All(groups, g => Assert.All(g.AnyOf, c => Assert.Equal(g.Field, c.Field)));
    }
}
