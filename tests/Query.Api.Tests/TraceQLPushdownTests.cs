using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using Query.Api.Search;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class TraceQLPushdownTests
{
    private static readonly SpanQuery Range = new() { StartUnixNano = 10, EndUnixNano = 20, Limit = 5 };

    [Fact]
    public void ExactConditionsOfAConjunctionBecomePromotedFilters()
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ resource.service.name = \"a\" && name = \"GET /\" && status = error && kind = client && duration > 1s && duration <= 2s }"), Range);

        Assert.Equal(("a", "GET /", 2, 3, 1_000_000_001L, 2_000_000_000L), (query.Service, query.SpanName, query.StatusCode, query.Kind, query.MinDurationNanos, query.MaxDurationNanos));
        Assert.Equal((10UL, 20UL), (query.StartUnixNano, query.EndUnixNano));
        Assert.NotNull(query.Filter);
    }

    [Theory]
    [InlineData("{ resource.service.name = \"a\" || resource.service.name = \"b\" }")]
    [InlineData("{ .service.name = \"a\" }")]
    [InlineData("{ span.service.name = \"a\" }")]
    [InlineData("{ resource.service.name != \"a\" }")]
    [InlineData("{ resource.service.name = \"a\" } >> { name = \"b\" }")]
    public void ConditionsThatDoNotHoldForEveryResultSpanAreNotPromoted(string traceQl)
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse(traceQl), Range);

        Assert.Equal((null, null), (query.Service, query.SpanName));
    }

    [Fact]
    public void ValuesOfOneFieldJoinedByOrBecomeOneSetOfAllowedValues()
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ (resource.service.name = \"a\" || resource.service.name = \"b\") && (kind = server || kind = client) }"), Range);

        Assert.Equal([SpanColumn.Service, SpanColumn.Kind], query.Predicates.Select(p => p.Column));
        Assert.Equal(["a", "b"], query.Predicates[0].Strings!.Order());
        Assert.Equal([2L, 3L], query.Predicates[1].Numbers!.Order());
        Assert.Null(query.Service);
    }

    [Fact]
    public void AFieldConstrainedOnBothSidesOfAnOrKeepsTheUnionOfItsValues()
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ (name = \"a\" && span.http.route = \"/x\") || (name = \"b\" && status = error) }"), Range);

        var name = Assert.Single(query.Predicates);
        Assert.Equal(SpanColumn.Name, name.Column);
        Assert.Equal(["a", "b"], name.Strings!.Order());
    }

    [Fact]
    public void ARangeOnTheHttpStatusCodeBecomesAColumnRange()
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ resource.service.name = \"x\" && span.http.response.status_code >= 500 }"), Range);
        var either = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ span.http.response.status_code = 200 || span.http.response.status_code > 499 }"), Range);

        Assert.Equal("x", query.Service);
        var range = Assert.Single(query.Predicates);
        Assert.Equal((SpanColumn.HttpStatusCode, 500L, long.MaxValue), (range.Column, range.Min, range.Max));
        var hull = Assert.Single(either.Predicates);
        Assert.Equal((200L, long.MaxValue), (hull.Min, hull.Max));
    }

    [Fact]
    public void DurationsJoinedByOrBecomeTheRangeThatHoldsThemAll()
    {
        // Of the two bounds the right side requires, the first is joined with the left: wider than need be, never narrower.
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ duration = 5ms || (duration > 1s && duration < 2s) }"), Range);

        var range = Assert.Single(query.Predicates);
        Assert.Equal((SpanColumn.Duration, 5_000_000L, long.MaxValue), (range.Column, range.Min, range.Max));
    }

    [Theory]
    [InlineData("{ span.http.route =~ \"/api/.*\" }", "/api/a", true)]
    [InlineData("{ span.http.route =~ \"/api/.*\" }", "/shop", false)]
    [InlineData("{ span.http.route !~ \"/api/.*\" }", "/shop", true)]
    [InlineData("{ name != \"GET /\" }", "GET /", false)]
    [InlineData("{ name != \"GET /\" }", "POST /", true)]
    [InlineData("{ resource.service.name =~ \"a|b\" }", "b", true)]
    [InlineData("{ resource.service.name =~ \"a|b\" }", "ab", false)]
    [InlineData("{ span.http.request.method = \"GET\" || span.http.request.method =~ \"P.*\" }", "PUT", true)]
    [InlineData("{ span.db.system.name != \"redis\" }", "redis", false)]
    public void PatternsAndInequalityBecomeATestOnEachDistinctValue(string traceQl, string value, bool passes)
    {
        var predicate = Assert.Single(TraceQLPushdown.Apply(TraceQLQuery.Parse(traceQl), Range).Predicates);

        Assert.Equal(passes, predicate.Matches(value));
    }

    [Fact]
    public void AnUnscopedAttributeAlsoAdmitsSpansWithoutTheSpanAttributeForTheResourceToDecide()
    {
        var equal = Assert.Single(TraceQLPushdown.Apply(TraceQLQuery.Parse("{ .http.route = \"/a\" }"), Range).Predicates);
        var pattern = Assert.Single(TraceQLPushdown.Apply(TraceQLQuery.Parse("{ .http.route =~ \"/a.*\" }"), Range).Predicates);

        Assert.Equal(["", "/a"], equal.Strings!.Order());
        Assert.True(pattern.Matches(""));
        Assert.False(pattern.Matches("/b"));
    }

    [Theory]
    [InlineData("{ span.http.status_code >= 500 }")]
    [InlineData("{ span.http.method = \"GET\" }")]
    [InlineData("{ span.db.system = \"redis\" }")]
    [InlineData("{ .http.response.status_code >= 500 }")]
    [InlineData("{ resource.http.route = \"/a\" }")]
    [InlineData("{ span.http.response.status_code >= 499.5 }")]
    [InlineData("{ span.http.response.status_code = \"500\" }")]
    [InlineData("{ span.http.response.status_code != 500 }")]
    [InlineData("{ name > \"a\" }")]
    [InlineData("{ status != error }")]
    [InlineData("{ name = \"a\" || span.http.route = \"/b\" }")]
    [InlineData("{ !(name = \"a\") }")]
    [InlineData("{ span.http.route = \"/a\" } >> { status = error }")]
    [InlineData("{ span.http.route = \"/a\" } || { name = \"b\" }")]
    [InlineData("{ event.http.route = \"/a\" }")]
    public void ConditionsThatAColumnCannotDecideExactlyAreNotPushed(string traceQl)
    {
        var query = TraceQLPushdown.Apply(TraceQLQuery.Parse(traceQl), Range);

        Assert.Empty(query.Predicates);
        Assert.Equal((null, null, null, null), (query.Service, query.SpanName, query.StatusCode, query.Kind));
    }

    [Theory]
    [InlineData("{ span.http.route =~ \"/api/.*\" && span.tags = \"x\" }", new[] { true, false, false })]
    [InlineData("{ event:name = \"exception\" }", new[] { false, true, false })]
    [InlineData("{ link:traceID = \"ab000000000000000000000002000000\" }", new[] { false, false, true })]
    [InlineData("{ instrumentation:name = \"lib\" && resource.host.name = \"h\" }", new[] { true, true, true })]
    [InlineData("{ span.tags = \"y\" && span.ratio > 0.5 && span.ok = true }", new[] { true, false, false })]
    public void ASpanFilterKeepsExactlyTheSpansTheQueryKeepsOnTheirOwn(string traceQl, bool[] kept)
    {
        var filter = TraceQLPushdown.Apply(TraceQLQuery.Parse(traceQl), Range).Filter!;

        Assert.Equal(kept, Spans().Select(filter).ToArray());
    }

    [Fact]
    public void AWholeTraceQueryFiltersSpansOnlyByItsPerSpanConditions()
    {
        var filter = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ span.http.route = \"/api/a\" && traceDuration > 1s }"), Range).Filter!;
        var none = TraceQLPushdown.Apply(TraceQLQuery.Parse("{ span.http.route = \"/api/a\" } >> { status = error }"), Range);

        Assert.Equal([true, false, false], Spans().Select(filter).ToArray());
        Assert.Null(none.Filter);
    }

    // Three spans: one with array, float and bool attributes; one with an exception event; one bare, all with scope "lib".
    private static List<StoredSpan> Spans()
    {
        var resource = new Resource { Attributes = { Attribute("service.name", "svc"), Attribute("host.name", "h") } };
        var scope = new InstrumentationScope { Name = "lib", Version = "1" };
        var first = Span(1, 1, null, "GET /api/a", 0, 10, attributes: [("http.route", "/api/a"), ("ratio", 0.75), ("ok", true)]);
        first.Attributes.Add(new KeyValue { Key = "tags", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "x" }, new AnyValue { StringValue = "y" } } } } });
        var second = Span(1, 2, 1, "work", 1, 5);
        second.Events.Add(new Span.Types.Event { Name = "exception", TimeUnixNano = second.StartTimeUnixNano + 1 });
        var third = Span(1, 3, 1, "idle", 2, 1);
        third.Links.Add(new Span.Types.Link { TraceId = ByteString.CopyFrom(TraceId(2)), SpanId = ByteString.CopyFrom(SpanId(9)) });
        return [.. new[] { first, second, third }.Select(s => new StoredSpan
        {
            Resource = resource,
            ResourceSchemaUrl = "",
            Scope = scope,
            ScopeSchemaUrl = "",
            Span = s,
            ServiceName = "svc",
            BlockId = "b",
        })];
    }
}
