using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;
using Xunit;
using static OtelStorage.TraceQL.Tests.TestTraces;

namespace OtelStorage.TraceQL.Tests;

/// <summary>
/// The queries Grafana's Tempo search builder writes (public/app/plugins/datasource/tempo, generateQueryFromFilters):
/// one span set of filters joined by &amp;&amp;, no spaces, several values of one filter as a regex or as an ||-group,
/// and the "trace" duration type as traceDuration.
/// </summary>
public sealed class GrafanaQueryTests
{
    private static readonly KeyValue Bob = TraceSet.Kv("app.user", "bob");

    private static readonly Dictionary<string, TraceData> Traces = new()
    {
        // cart: 3 s; GET /cart calls the database and the payment service, which fails with 503.
        ["cart"] = Of(
            Span("11", name: "GET /cart", service: "cart", startMs: 0, endMs: 3000, status: SpanStatus.Ok, kind: SpanKind.Server,
                attributes: [TraceSet.Kv("http.response.status_code", 200), TraceSet.Kv("http.method", "GET")]),
            Span("12", "11", name: "SELECT cart", service: "cart", startMs: 10, endMs: 20, status: SpanStatus.Ok, kind: SpanKind.Client),
            Span("13", "11", name: "POST /pay", service: "payment", startMs: 30, endMs: 90, status: SpanStatus.Error, kind: SpanKind.Server,
                attributes: [TraceSet.Kv("http.response.status_code", 503), TraceSet.Kv("http.method", "POST")])),

        // checkout: 500 ms; the root fails with 500 after reading the cart.
        ["checkout"] = Of(
            Span("21", name: "POST /checkout", service: "checkout", startMs: 0, endMs: 500, status: SpanStatus.Error, kind: SpanKind.Server,
                attributes: [TraceSet.Kv("http.response.status_code", 500), TraceSet.Kv("http.method", "POST")]),
            Span("22", "21", name: "GET /cart", service: "cart", startMs: 5, endMs: 50, status: SpanStatus.Ok, kind: SpanKind.Server,
                attributes: [TraceSet.Kv("http.response.status_code", 200), TraceSet.Kv("http.method", "GET")])),

        // search: 50 ms, one span, 404, for bob.
        ["search"] = Of(
            Span("31", name: "GET /search", service: "search", startMs: 0, endMs: 50, status: SpanStatus.Unset, kind: SpanKind.Server,
                attributes: [TraceSet.Kv("http.response.status_code", 404), TraceSet.Kv("http.method", "GET"), Bob])),
    };

    [Theory]
    [InlineData("{resource.service.name=\"cart\"}", "cart checkout")]
    [InlineData("{resource.service.name=~\"cart|search\"}", "cart checkout search")]
    [InlineData("{(resource.service.name = \"checkout\" || resource.service.name = \"search\")}", "checkout search")]
    [InlineData("{(resource.service.name = \"checkout\" || resource.service.name = \"search\") && status = error}", "checkout")]
    [InlineData("{resource.service.name!=\"cart\"}", "cart checkout search")]
    [InlineData("{resource.service.name!=\"cart\" && resource.service.name!=\"payment\"}", "checkout search")]
    [InlineData("{span.http.response.status_code>=500}", "cart checkout")]
    [InlineData("{span.http.response.status_code>=400 && span.http.response.status_code<500}", "search")]
    [InlineData("{status=error}", "cart checkout")]
    [InlineData("{status!=error && kind=server}", "cart checkout search")]
    [InlineData("{traceDuration>2s}", "cart")]
    [InlineData("{traceDuration<=500ms}", "checkout search")]
    [InlineData("{duration>100ms}", "cart checkout")]
    [InlineData("{name=\"GET /cart\"}", "cart checkout")]
    [InlineData("{name=~\"GET /cart|GET /search\" && span.http.method=\"GET\"}", "cart checkout search")]
    [InlineData("{.app.user=\"bob\"}", "search")]
    [InlineData("{resource.service.name=\"cart\" && span.http.response.status_code>=200 && name=\"GET /cart\" && traceDuration>2s}", "cart")]
    [InlineData("{resource.service.name=~\"cart|payment\" && status=error && duration>50ms}", "cart")]
    [InlineData("{ resource.service.name = \"cart\" && status = error }", "")]
    [InlineData("{}", "cart checkout search")]
    public void TheSearchBuildersQueriesReturnTheRightTraces(string query, string expected)
    {
        var parsed = TraceQLQuery.Parse(query);

        var matching = Traces.Where(t => parsed.Evaluate(t.Value).Count > 0).Select(t => t.Key);

        Assert.Equal(expected, string.Join(' ', matching));
    }

    [Fact]
    public void TheBuildersMultiValueGroupReturnsTheSpansOfEitherValue()
    {
        Assert.Equal("11 12 22", Matches("{(resource.service.name = \"cart\" || name = \"GET /search\")}", Traces["cart"]) + " " + Matches("{(resource.service.name = \"cart\" || name = \"GET /search\")}", Traces["checkout"]));
    }
}
