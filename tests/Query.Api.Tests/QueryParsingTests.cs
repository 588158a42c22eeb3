using Query.Api.Reading;
using Xunit;

namespace Query.Api.Tests;

public sealed class QueryParsingTests
{
    [Theory]
    [InlineData("1.5ms", 1_500_000L)]
    [InlineData("250us", 250_000L)]
    [InlineData("250µs", 250_000L)]
    [InlineData("2s", 2_000_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("1h", 3_600_000_000_000L)]
    [InlineData("2d", 172_800_000_000_000L)]
    [InlineData("100", 100L)]
    public void GoDurationsParseToNanoseconds(string text, long nanos) => Assert.Equal(nanos, QueryParsing.Duration(text, "d"));

    [Fact]
    public void LogfmtHandlesQuotedAndBareValues()
    {
        var tags = QueryParsing.Logfmt("service.name=\"my cart\" http.status_code=500  name=\"say \\\"hi\\\"\"");

        Assert.Equal(
            [new("service.name", "my cart"), new("http.status_code", "500"), new KeyValuePair<string, string>("name", "say \"hi\"")],
            tags);
    }

    [Fact]
    public void JaegerTagsAcceptStringAndOtherJsonValues()
    {
        var tags = QueryParsing.JaegerTags("{\"error\":\"true\",\"http.status_code\":500}").ToList();

        Assert.Equal([new("error", "true"), new KeyValuePair<string, string>("http.status_code", "500")], tags);
    }

    [Theory]
    [InlineData("""{"k":"\ud800"}""")]
    [InlineData("""{"k":"\udfff\ud800"}""")]
    [InlineData("""{"\ud800":"v"}""")]
    public void JaegerTagsWithAnUnpairedSurrogateEscapeAreAParameterErrorNotACrash(string json)
    {
        Assert.Throws<QueryParameterException>(() => QueryParsing.JaegerTags(json).ToList());
    }

    [Fact]
    public void SpecialTagKeysBecomePromotedFilters()
    {
        var c = new SearchCriteria();
        c.AddTag("resource.service.name", "cart");
        c.AddTag("name", "GET /");
        c.AddTag("status", "error");
        c.AddTag("span.kind", "server");
        c.AddTag("span.http.route", "/x");

        Assert.Equal(("cart", "GET /", 2, 2), (c.Service, c.Operation, c.StatusCode, c.Kind));
        Assert.Equal([new KeyValuePair<string, string>("http.route", "/x")], c.Tags);
    }
}
