using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;
using Xunit;
using static OtelStorage.TraceQL.Tests.TestTraces;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Evaluation semantics beyond the documentation examples, each worked out by hand.</summary>
public sealed class EvaluatorTests
{
    private static readonly TraceData Values = Of(
        Span("1", attributes: [TraceSet.Kv("code", 200), TraceSet.Kv("ratio", 0.5), TraceSet.Kv("route", "/cart"), TraceSet.Kv("flag", true)]),
        Span("2", attributes: [TraceSet.Kv("code", "200"), TraceSet.Kv("ratio", 2L), new KeyValue("ids", TraceQLValue.IntArray([1, 2, 3]))]),
        Span("3", attributes: [TraceSet.Kv("code", 503.0), TraceSet.Kv("flag", false), new KeyValue("tags", TraceQLValue.StringArray([]))]),
        Span("4", attributes: [new KeyValue("tags", TraceQLValue.StringArray(["a", "b"]))]));

    [Theory]
    [InlineData("{ span.code = 200 }", "1")]
    [InlineData("{ span.code = \"200\" }", "2")]
    [InlineData("{ span.code != 200 }", "3")]
    [InlineData("{ span.code != \"x\" }", "2")]
    [InlineData("{ span.code > 300 }", "3")]
    [InlineData("{ span.code >= 200.0 }", "1 3")]
    [InlineData("{ span.ratio < 1 }", "1")]
    [InlineData("{ span.ratio = 2.0 }", "2")]
    [InlineData("{ span.missing != 1 }", "")]
    [InlineData("{ span.missing = nil }", "1 2 3 4")]
    [InlineData("{ span.route =~ \"/c\" }", "")]
    [InlineData("{ span.route =~ \"/c.*\" }", "1")]
    [InlineData("{ span.route !~ \"/c\" }", "1")]
    [InlineData("{ span.route > \"/a\" && span.route < \"/d\" }", "1")]
    public void ComparisonsAreTypedAndAMissingOrMismatchedValueNeverMatches(string query, string expected)
    {
        Assert.Equal(expected, Matches(query, Values));
    }

    [Theory]
    [InlineData("{ span.ids = 2 }", "2")]
    [InlineData("{ 2 = span.ids }", "2")]
    [InlineData("{ span.ids > 2 }", "2")]
    [InlineData("{ span.ids < 1 }", "")]
    [InlineData("{ span.ids != 4 }", "2")]
    [InlineData("{ span.ids != 2 }", "")]
    [InlineData("{ span.tags = \"b\" }", "4")]
    [InlineData("{ span.tags != \"c\" }", "3 4")]
    [InlineData("{ span.tags =~ \"[ab]\" }", "4")]
    [InlineData("{ span.tags !~ \"[ab]\" }", "3")]
    [InlineData("{ span.ids = \"2\" }", "")]
    public void ArraysMatchWhenAnyElementDoesAndNegationsWhenNoneDoes(string query, string expected)
    {
        Assert.Equal(expected, Matches(query, Values));
    }

    [Theory]
    [InlineData("{ span.flag }", "1")]
    [InlineData("{ !span.flag }", "3")]
    [InlineData("{ span.flag || span.code = \"200\" }", "1 2")]
    [InlineData("{ span.flag && span.code = 200 }", "1")]
    [InlineData("{ span.missing || span.code = 503 }", "3")]
    public void ABareFieldIsTrueOnlyWhenItHoldsTrue(string query, string expected)
    {
        Assert.Equal(expected, Matches(query, Values));
    }

    [Theory]
    [InlineData("{ span.code * 2 = 400 }", "1")]
    [InlineData("{ span.code + 0.5 = 503.5 }", "3")]
    [InlineData("{ span.code / 0 = 1 }", "")]
    [InlineData("{ span.code % 7 = 4 }", "1")]
    [InlineData("{ 2 ^ 10 = 1024 && span.code = 200 }", "1")]
    [InlineData("{ -span.code = -200 }", "1")]
    [InlineData("{ duration * 2 = 20ms }", "1 2 3 4")]
    [InlineData("{ span.route + 1 = 1 }", "")]
    public void ArithmeticWorksOnNumbersAndIsNilOtherwise(string query, string expected)
    {
        Assert.Equal(expected, Matches(query, Values));
    }

    [Fact]
    public void AnUnscopedAttributeReadsTheSpanBeforeTheResource()
    {
        var trace = Of(
            Span("1", service: "from-resource", attributes: [TraceSet.Kv("service.name", "from-span")]),
            Span("2", service: "from-resource"));

        Assert.Equal("1", Matches("{ .service.name = \"from-span\" }", trace));
        Assert.Equal("2", Matches("{ .service.name = \"from-resource\" }", trace));
        Assert.Equal("1 2", Matches("{ resource.service.name = \"from-resource\" }", trace));
    }

    [Fact]
    public void EventFieldsInOneFilterMustHoldForTheSameEvent()
    {
        var trace = Of(
            Span("1", events: [Event("exception", 1, TraceSet.Kv("exception.type", "Timeout")), Event("retry", 2)]),
            Span("2", events: [Event("retry", 1, TraceSet.Kv("exception.type", "Timeout"))]));

        Assert.Equal("1", Matches("{ event:name = \"exception\" && event.exception.type = \"Timeout\" }", trace));
        Assert.Equal("2", Matches("{ event:name = \"retry\" && event.exception.type = \"Timeout\" }", trace));
        Assert.Equal("1 2", Matches("{ event:name = \"retry\" }", trace));
    }

    [Fact]
    public void LinkFieldsReadTheSpansLinks()
    {
        Assert.Equal("a4", Matches("{ link:spanID = \"b1\" && link:traceID = \"0b\" }", TraceSet.Get('a')));
        Assert.Equal("d1", Matches("{ link:spanID = \"00000000000000A4\" }", TraceSet.Get('d')));
    }

    [Theory]
    [InlineData("{ span:id = \"a1\" }", 'a', "a1")]
    [InlineData("{ span:id = \"00000000000000A1\" }", 'a', "a1")]
    [InlineData("{ span:parentID = \"a1\" }", 'a', "a2 a5")]
    [InlineData("{ span:parentID = nil }", 'a', "a1")]
    [InlineData("{ trace:id = \"a\" }", 'a', "a1 a2 a3 a4 a5 a6")]
    [InlineData("{ trace:id = \"0000000000000000000000000000000a\" }", 'a', "a1 a2 a3 a4 a5 a6")]
    [InlineData("{ span:id =~ \"0+a[12]\" }", 'a', "a1 a2")]
    public void IdsCompareAsHexIgnoringCaseAndLeadingZeros(string query, char trace, string expected)
    {
        Assert.Equal(expected, Matches(query, TraceSet.Get(trace)));
    }

    [Theory]
    [InlineData("{ rootName = nil }", 'e', "e1 e2")]
    [InlineData("{ rootServiceName = \"worker\" && traceDuration = 9500ms }", 'd', "d1 d2 d3 d4")]
    [InlineData("{ span:childCount = 1 }", 'e', "e1")]
    [InlineData("{ name = \"orphan work\" } > { }", 'e', "e2")]
    [InlineData("{ } !> { }", 'e', "e1")]
    [InlineData("{ } ~ { }", 'e', "")]
    public void ATraceWithoutARootKeepsTheStructureOfTheSpansItHas(string query, char trace, string expected)
    {
        Assert.Equal(expected, Matches(query, TraceSet.Get(trace)));
    }

    [Theory]
    [InlineData("{ } > { }", "2 3 4 5")]
    [InlineData("{ } < { }", "1 2")]
    [InlineData("{ } >> { }", "2 3 4 5")]
    [InlineData("{ } << { }", "1 2")]
    [InlineData("{ } ~ { }", "1 2 3 4 5 6")]
    [InlineData("{ name = \"a\" } >> { name = \"c\" }", "4 5")]
    [InlineData("{ name = \"c\" } << { name = \"a\" }", "1")]
    [InlineData("{ name = \"b\" } > { }", "4 5")]
    [InlineData("{ name = \"c\" } < { }", "2")]
    [InlineData("{ name = \"a\" } ~ { }", "1 6")]
    [InlineData("{ name = \"a\" } !>> { }", "1 6")]
    [InlineData("{ name = \"b\" } !> { }", "1 2 3 6")]
    [InlineData("{ name = \"c\" } !<< { }", "3 4 5 6")]
    [InlineData("{ name = \"c\" } !< { }", "1 3 4 5 6")]
    [InlineData("{ name = \"a\" } !~ { }", "2 3 4 5")]
    [InlineData("{ name = \"a\" } &>> { name = \"c\" }", "1 4 5")]
    [InlineData("{ name = \"c\" } &<< { name = \"a\" }", "1 4 5")]
    [InlineData("{ name = \"b\" } &> { name = \"c\" }", "2 4 5")]
    [InlineData("{ name = \"c\" } &< { name = \"b\" }", "2 4 5")]
    [InlineData("{ name = \"a\" } &~ { name = \"b\" }", "")]
    [InlineData("{ name = \"a\" } &~ { name = \"a\" }", "1 6")]
    [InlineData("{ name = \"b\" } &~ { name = \"c\" }", "")]
    [InlineData("{ name = \"x\" } &>> { }", "")]
    [InlineData("{ name = \"x\" } !>> { name = \"c\" }", "4 5")]
    public void StructuralOperatorsFollowParentLinks(string query, string expected)
    {
        // 1 (a, root) ── 2 (b) ──┬─ 4 (c)      6 (a, second root)
        //            └─ 3 (b)    └─ 5 (c)
        var trace = Of(
            Span("1", name: "a"),
            Span("2", "1", name: "b"),
            Span("3", "1", name: "b"),
            Span("4", "2", name: "c"),
            Span("5", "2", name: "c"),
            Span("6", name: "a"));

        Assert.Equal(expected, Matches(query, trace));
    }

    [Fact]
    public void ByGroupsSpansAndAggregatesAttachTheirValues()
    {
        var result = TraceQLQuery.Parse("{ status = error } | by(resource.service.name) | count() > 1").Evaluate(TraceSet.Get('a'));

        var spanset = Assert.Single(result);
        Assert.Equal(["a2", "a4"], spanset.Spans.Select(s => TraceSet.Label(s.Span)));
        Assert.Equal(
            [new("by(resource.service.name)", TraceQLValue.String("checkoutservice")), new("count()", TraceQLValue.Int(2))],
            spanset.Attributes);
    }

    [Fact]
    public void AggregatesKeepTheirTypes()
    {
        var result = TraceQLQuery.Parse("{ } | avg(duration) > 1s | max(span.http.status_code) >= 503 | sum(span.bytesProcessed) > 0").Evaluate(TraceSet.Get('a'));

        Assert.Equal(
            [
                new("avg(duration)", TraceQLValue.Duration(2_504_833_333)),
                new("max(span.http.status_code)", TraceQLValue.Int(503)),
                new("sum(span.bytesProcessed)", TraceQLValue.Int(1_100_000_000)),
            ],
            Assert.Single(result).Attributes);
    }

    [Fact]
    public void CoalesceMergesGroupsBackIntoOneSpanset()
    {
        var result = TraceQLQuery.Parse("{ status = error } | by(resource.service.name) | coalesce()").Evaluate(TraceSet.Get('d'));

        var spanset = Assert.Single(result);
        Assert.Equal(["d1", "d2", "d3"], spanset.Spans.Select(s => TraceSet.Label(s.Span)));
        Assert.Empty(spanset.Attributes);
    }

    [Fact]
    public void SelectReturnsTheFieldsEachSpanHas()
    {
        var result = TraceQLQuery.Parse("{ status = error } | select(span.http.status_code, resource.service.name, duration)").Evaluate(TraceSet.Get('d'));

        var selected = Assert.Single(result).Spans.ToDictionary(s => TraceSet.Label(s.Span), s => string.Join(", ", s.Selected.Select(v => $"{v.Field}={v.Value}")));
        Assert.Equal("resource.service.name=\"worker\", duration=8s", selected["d1"]);
        Assert.Equal("span.http.status_code=403, resource.service.name=\"notifier\", duration=9300ms", selected["d3"]);
    }

    [Fact]
    public void ComparedPipelinesReturnTheSpansTheyFound()
    {
        var query = TraceQLQuery.Parse("({ status = error } | count()) > ({ status = ok } | count())");

        Assert.Equal("a1 a2 a3 a4 a6", string.Join(' ', query.Evaluate(TraceSet.Get('a')).SelectMany(s => s.Spans).Select(s => TraceSet.Label(s.Span))));
        Assert.Empty(query.Evaluate(TraceSet.Get('b')));
    }

    [Fact]
    public void AnEmptyTraceMatchesNothing()
    {
        Assert.Empty(TraceQLQuery.Parse("{ }").Evaluate(new TraceData()));
    }

    [Fact]
    public void OneQueryEvaluatesOnManyThreadsAtOnce()
    {
        var query = TraceQLQuery.Parse("{ span.http.method =~ \"G.*\" } >> { } | count() > 0");
        var expected = TraceSet.All.Select(t => query.Evaluate(t).Count).ToArray();

        var results = new int[200][];
        Parallel.For(0, results.Length, i => results[i] = [.. TraceSet.All.Select(t => query.Evaluate(t).Count)]);

        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
