using System.Net;
using Xunit;

namespace Query.Api.Tests;

/// <summary>Paths that match no route get a JSON 404 naming the path, not an empty body.</summary>
public sealed class NotFoundTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/nope")]
    [InlineData("/traces/abc/def")]
    [InlineData("/api/services/a/b/operations")]
    [InlineData("/health/..%2Fx")]
    [InlineData("/openapi/x.json.bak")]
    public async Task AGetThatMatchesNoRouteIsA404SayingSo(string path)
    {
        var body = await fixture.Client(null).GetJsonAsync(path, HttpStatusCode.NotFound);

        Assert.Equal(404, body.GetProperty("status").GetInt32());
        Assert.Contains("no route matches GET", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnotherMethodOnAKnownRouteIsStillA405()
    {
        using var response = await fixture.Client(null).PostAsync("/traces/0af7651916cd43dd8448eb211c80319c", new StringContent(string.Empty), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
