using System.Net;
using OtelStorage.Testing;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class TenancyTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATenantNeverSeesAnotherTenantsData()
    {
        var a = QueryApiFixture.NewTenant();
        var b = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, a);
        await fixture.WriteBlockAsync(b, [Request("billing", Span(50, 50, null, "invoice", 0, 5))]);
        var clientB = fixture.Client(b);

        await clientB.GetJsonAsync($"/traces/{Hex(TraceId(1))}", HttpStatusCode.NotFound);
        var jaeger = await clientB.GetJsonAsync($"/api/traces/{Hex(TraceId(1))}", HttpStatusCode.NotFound);
        var services = await clientB.GetJsonAsync("/services");
        var spans = await clientB.GetJsonAsync("/spans?service=frontend");
        var tempo = await clientB.GetJsonAsync("/api/search?tags=service.name%3Dfrontend");
        var own = await clientB.GetJsonAsync($"/traces/{Hex(TraceId(50))}");
        var fromA = await fixture.Client(a).GetJsonAsync($"/traces/{Hex(TraceId(50))}", HttpStatusCode.NotFound);

        Assert.Equal(404, jaeger.GetProperty("errors")[0].GetProperty("code").GetInt32());
        Assert.Equal(["billing"], services.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList());
        Assert.Empty(spans.GetProperty("spans").EnumerateArray());
        Assert.Empty(tempo.GetProperty("traces").EnumerateArray());
        Assert.Single(own.GetProperty("resourceSpans").EnumerateArray());
        Assert.Equal(404, fromA.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task RequestsWithoutAHeaderUseTheSingleTenant()
    {
        await fixture.WriteBlockAsync("single-tenant", [Request("default-svc", Span(60, 60, null, "op", 0, 5))]);

        // Other tests may have cached single-tenant's list already: the block shows within the freshness bound.
        var client = fixture.Client(null);
        var (status, body) = await Eventually.ValueAsync(
            async ct =>
            {
                using var response = await client.GetAsync($"/traces/{Hex(TraceId(60))}", ct);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
            },
            answer => answer.StatusCode != HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(5),
            Ct,
            what: "the single tenant's trace");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("default-svc", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../other")]
    [InlineData("has space")]
    [InlineData("a-tenant-name-that-is-far-too-long-to-be-accepted-as-a-tenant-id-0123")]
    public async Task AnInvalidTenantIsA400NamingTheRule(string tenant)
    {
        var json = await fixture.Client(tenant).GetJsonAsync("/api/services", HttpStatusCode.BadRequest);

        Assert.Equal($"X-Scope-OrgID must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-', got \"{(tenant.Length <= 70 ? tenant : tenant[..70] + "…")}\".", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ApiKeysAreRequiredComparedExactlyAndBoundToTheirTenants()
    {
        const string anyTenant = "first-key-0123456789";
        const string acmeOnly = "acme-key-0123456789a";
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["Query:ApiKeys:0:Key"] = anyTenant,
            ["Query:ApiKeys:1:Key"] = acmeOnly,
            ["Query:ApiKeys:1:Tenants:0"] = "acme",
            ["Logging:LogLevel:Default"] = "Trace",
        });
        var client = factory.CreateClient();

        using var none = await client.GetAsync("/api/services", Ct);
        using var wrong = await Send(client, ("X-API-Key", "first-key-012345678X"));
        using var prefix = await Send(client, ("X-API-Key", "first-key"));
        using var header = await Send(client, ("X-API-Key", anyTenant));
        using var bearer = await Send(client, ("Authorization", "Bearer " + acmeOnly), ("X-Scope-OrgID", "acme"));
        using var otherTenant = await Send(client, ("X-API-Key", acmeOnly), ("X-Scope-OrgID", "globex"));
        using var defaultTenant = await Send(client, ("X-API-Key", acmeOnly));
        using var health = await client.GetAsync("/alive", Ct);
        using var echo = await client.GetAsync("/api/echo", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("a valid API key is required", await none.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, prefix.StatusCode);
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        Assert.Contains("not allowed to use tenant 'globex'", await otherTenant.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, defaultTenant.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);

        // Keys are secrets: no log record, at any level, carries one.
        var logs = factory.Services.GetFakeLogCollector().GetSnapshot();
        Assert.NotEmpty(logs);
        Assert.DoesNotContain(logs, r => r.Message.Contains("0123456789", StringComparison.Ordinal) || (r.Exception?.ToString().Contains("0123456789", StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task AShortOrEmptyApiKeyStopsTheStartWithAMessageNamingIt()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Query:ApiKeys:0:Key"] = "short" });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Query:ApiKeys:0: every API key must be at least 16 characters", error.ToString(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, params (string Header, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/services");
        foreach (var (header, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return client.SendAsync(request, Ct);
    }
}
