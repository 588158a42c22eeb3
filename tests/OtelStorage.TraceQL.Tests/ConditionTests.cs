using OtelStorage.TraceQL.Conditions;
using OtelStorage.TraceQL.Values;
using Xunit;

namespace OtelStorage.TraceQL.Tests;

/// <summary>The conditions a store may push down, whether all must hold, and whether the query needs whole traces.</summary>
public sealed class ConditionTests
{
    [Theory]
    [InlineData("{ span.http.route = \"/nope\" }", "span.http.route = \"/nope\"", true, false)]
    [InlineData("{ resource.service.name = \"x\" && span.http.response.status_code >= 500 }", "resource.service.name = \"x\"; span.http.response.status_code >= 500", true, false)]
    [InlineData("{ 500 <= span.code && 1s > duration }", "span.code >= 500; span:duration < 1s", true, false)]
    [InlineData("{ .a = 1 || .b = 2 }", ".a = 1; .b = 2", false, false)]
    [InlineData("{ name = \"GET /cart\" } >> { status = error }", "span:name = \"GET /cart\"; span:status = error", false, true)]
    [InlineData("{ .a = 1 } && { .b = 2 }", ".a = 1; .b = 2", false, true)]
    [InlineData("{ !(span.a = 1) }", "span.a", true, false)]
    [InlineData("{ span.a != nil && span.b = nil }", "span.a != nil; span.b = nil", true, false)]
    [InlineData("{ span.cache.hit }", "span.cache.hit = true", true, false)]
    [InlineData("{ .a + 1 > 3 }", ".a", true, false)]
    [InlineData("{ .a = .b }", ".a; .b", true, false)]
    [InlineData("{ \"x\" =~ .a }", ".a", true, false)]
    [InlineData("{ span.a = 1 && span.a = 1 }", "span.a = 1", true, false)]
    [InlineData("{ traceDuration > 2s && rootServiceName = \"x\" }", "trace:duration > 2s; trace:rootService = \"x\"", true, true)]
    [InlineData("{ span:childCount = 0 }", "span:childCount = 0", true, true)]
    [InlineData("{ status = error } | count() > 2", "span:status = error", true, true)]
    [InlineData("{ duration > 1s } | by(resource.service.name) | avg(span.bytes) > 10", "span:duration > 1s; resource.service.name; span.bytes", true, true)]
    [InlineData("{ .a = 1 } | { .b = 2 } | select(.c)", ".a = 1; .b = 2", true, false)]
    [InlineData("({ .a = 1 } | count()) > ({ .b = 2 } | count())", ".a = 1; .b = 2", false, true)]
    [InlineData("count() > 10", "", true, true)]
    [InlineData("{ }", "", true, false)]
    [InlineData("{ event:name = \"exception\" && link.kind = \"x\" && instrumentation:name = \"grpc\" }", "event:name = \"exception\"; link.kind = \"x\"; instrumentation:name = \"grpc\"", true, false)]
    public void ConditionsListWhatAStoreMayPushDown(string query, string conditions, bool allConditions, bool needsWholeTrace)
    {
        var parsed = TraceQLQuery.Parse(query).Conditions;

        Assert.Equal(conditions, string.Join("; ", parsed.Items));
        Assert.Equal((allConditions, needsWholeTrace), (parsed.AllConditions, parsed.NeedsWholeTrace));
    }

    [Fact]
    public void SelectedFieldsAreListedApart()
    {
        var conditions = TraceQLQuery.Parse("{ status = error } | select(span.http.url, duration) | select(span.http.url)").Conditions;

        Assert.Equal(["span.http.url", "duration"], conditions.SelectFields.Select(f => f.ToString()));
    }

    [Theory]
    [InlineData("{ span.a = 200 }", 200L, true)]
    [InlineData("{ span.a = 200 }", 200.0, true)]
    [InlineData("{ span.a >= 500 }", 499L, false)]
    [InlineData("{ span.a =~ \"GET\" }", "GET /cart", false)]
    [InlineData("{ span.a =~ \"GET.*\" }", "GET /cart", true)]
    [InlineData("{ span.a !~ \"GET.*\" }", "POST /cart", true)]
    [InlineData("{ span.a != \"x\" }", null, false)]
    [InlineData("{ span.a = nil }", null, true)]
    [InlineData("{ span.a != nil }", "", true)]
    [InlineData("{ span:id = \"00A1\" }", "00000000000000a1", true)]
    public void AConditionTellsAStoreWhetherAValueCanMatch(string query, object? value, bool matches)
    {
        var condition = Assert.Single(TraceQLQuery.Parse(query).Conditions.Items);

        Assert.Equal(matches, condition.Matches(value switch
        {
            null => TraceQLValue.Nil,
            long l => TraceQLValue.Int(l),
            double d => TraceQLValue.Float(d),
            _ => TraceQLValue.String((string)value),
        }));
    }

    [Fact]
    public void AConditionMatchesArraysByElement()
    {
        var condition = Assert.Single(TraceQLQuery.Parse("{ span.tags = \"b\" }").Conditions.Items);

        Assert.True(condition.Matches(TraceQLValue.StringArray(["a", "b"])));
        Assert.False(condition.Matches(TraceQLValue.StringArray(["a"])));
    }

    [Fact]
    public void WhenAllConditionsHoldEveryMatchedSpanOfTheDocumentedQueriesSatisfiesEachOne()
    {
        var checkedQueries = 0;
        foreach (var example in DocExamples.All.Where(e => !e.IsMetrics))
        {
            var query = TraceQLQuery.Parse(example.Query);
            if (!query.Conditions.AllConditions)
            {
                continue;
            }

            checkedQueries++;
            var constraints = query.Conditions.Items.Where(c => c.Operator != ConditionOperator.None).Select(c => TraceQLQuery.Parse($"{{ {c} }}")).ToList();
            foreach (var trace in TraceSet.All)
            {
                var matched = query.Evaluate(trace).SelectMany(s => s.Spans).Select(s => s.Span).ToHashSet();
                foreach (var constraint in constraints)
                {
                    var satisfying = constraint.Evaluate(trace).SelectMany(s => s.Spans).Select(s => s.Span).ToHashSet();
                    Assert.True(matched.IsSubsetOf(satisfying), $"line {example.Line}: a span of {example.Query} fails {constraint}");
                }
            }
        }

        Assert.True(checkedQueries > 80, $"only {checkedQueries} documented queries had AllConditions");
    }
}
