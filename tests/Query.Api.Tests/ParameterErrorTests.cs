using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Query.Api.Telemetry;
using Xunit;

namespace Query.Api.Tests;

public sealed class ParameterErrorTests(QueryApiFixture fixture)
{
    [Fact]
    public async Task BadParametersAreCountedAsBadRequestsOfTheSearchAndNativeLookupOperations()
    {
        // A host of its own, so that no other test's requests reach this collector.
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?>());
        using var requests = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), QueryTelemetry.Name, "otelstorage.query.requests");
        using var client = factory.CreateClient();

        foreach (var url in new[] { "/spans?limit=ten", "/traces/abc", "/api/traces?service=a&minDuration=fast", "/api/search?start=soon", "/api/traces/xyz", "/tempo/api/traces/xyz" })
        {
            using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        var counted = requests.GetMeasurementSnapshot()
            .Select(m => ((string?)m.Tags["operation"], (string?)m.Tags["outcome"], m.Value))
            .Order()
            .ToList();
        Assert.Equal(
            [("jaeger_search", "bad_request", 1L), ("spans", "bad_request", 1L), ("tempo_search", "bad_request", 1L), ("trace", "bad_request", 1L)],
            counted);
    }

    [Theory]
    [InlineData("/tempo/api/traces/xyz")]
    [InlineData("/api/v2/traces/xyz")]
    public async Task ATempoTraceLookupWithABadIdIsA400WithTheNativeErrorBody(string url)
    {
        var json = await fixture.Client(null).GetJsonAsync(url, HttpStatusCode.BadRequest);

        Assert.Equal("traceId must be 32 hex characters (0-9, a-f), got '00000000000000000000000000000xyz'", json.GetProperty("error").GetString());
        Assert.Equal(400, json.GetProperty("status").GetInt32());
    }
}
