using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Query.Api.Tests;

/// <summary>The widest search range: the longest retention period unless <c>Query:MaxSearchRange</c> is set.</summary>
public sealed class SearchRangeTests(QueryApiFixture fixture)
{
    private static readonly DateTimeOffset End = DateTimeOffset.UtcNow;

    private static string Native(TimeSpan range) =>
        $"/spans?start={Uri.EscapeDataString((End - range).ToString("O"))}&end={Uri.EscapeDataString(End.ToString("O"))}";

    private static string Jaeger(TimeSpan range) =>
        $"/api/traces?service=cart&start={Micros(End - range)}&end={Micros(End)}";

    private static string Micros(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture);

    private static async Task<(int Native, int Jaeger, string? Error)> SearchAsync(WebApplicationFactory<Program> factory, TimeSpan range)
    {
        using var client = factory.CreateClient();
        using var native = await client.GetAsync(Native(range), TestContext.Current.CancellationToken);
        using var jaeger = await client.GetAsync(Jaeger(range), TestContext.Current.CancellationToken);
        var error = native.StatusCode == HttpStatusCode.BadRequest
            ? System.Text.Json.JsonDocument.Parse(await native.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetString()
            : null;
        return ((int)native.StatusCode, (int)jaeger.StatusCode, error);
    }

    [Fact]
    public async Task ByDefaultTheWidestRangeIsTheRetentionPeriod()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "30.00:00:00" });

        var thirtyDays = await SearchAsync(factory, TimeSpan.FromDays(30));
        var moreThanThirty = await SearchAsync(factory, TimeSpan.FromDays(31));

        Assert.Equal((200, 200, null), thirtyDays);
        Assert.Equal(400, moreThanThirty.Native);
        Assert.Equal(400, moreThanThirty.Jaeger);
        Assert.Equal("the time range from start to end is 31.00:00:00, wider than the maximum of 30.00:00:00 (Query:MaxSearchRange): narrow start and end", moreThanThirty.Error);
    }

    [Fact]
    public async Task WithoutRetentionSettingsTheWidestRangeIsRetentionsDefaultOfSevenDays()
    {
        var sevenDays = await SearchAsync(fixture.Factory, TimeSpan.FromDays(7));
        var eightDays = await SearchAsync(fixture.Factory, TimeSpan.FromDays(8));

        Assert.Equal((200, 200, null), sevenDays);
        Assert.Equal((400, 400), (eightDays.Native, eightDays.Jaeger));
        Assert.EndsWith("wider than the maximum of 7.00:00:00 (Query:MaxSearchRange): narrow start and end", eightDays.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATenantsLongerRetentionWidensTheRange()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "7.00:00:00", ["Retention:Tenants:archive"] = "90.00:00:00" });

        var ninetyDays = await SearchAsync(factory, TimeSpan.FromDays(90));
        var moreThanNinety = await SearchAsync(factory, TimeSpan.FromDays(91));

        Assert.Equal((200, 200, null), ninetyDays);
        Assert.Equal((400, 400), (moreThanNinety.Native, moreThanNinety.Jaeger));
    }

    [Fact]
    public async Task WithRetentionOffEveryRangeUpToTenYearsIsAccepted()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Enabled"] = "false" });

        Assert.Equal((200, 200, null), await SearchAsync(factory, TimeSpan.FromDays(3650)));
    }

    [Fact]
    public async Task ARetentionShorterThanTheDefaultSearchRangeStillAllowsTheDefaultRange()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "01:00:00" });

        var oneDay = await SearchAsync(factory, TimeSpan.FromDays(1));
        var twoDays = await SearchAsync(factory, TimeSpan.FromDays(2));

        Assert.Equal((200, 200, null), oneDay);
        Assert.EndsWith("wider than the maximum of 1.00:00:00 (Query:MaxSearchRange): narrow start and end", twoDays.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExplicitMaxSearchRangeOverridesTheRetentionPeriod()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "30.00:00:00", ["Query:MaxSearchRange"] = "2.00:00:00" });

        var twoDays = await SearchAsync(factory, TimeSpan.FromDays(2));
        var threeDays = await SearchAsync(factory, TimeSpan.FromDays(3));

        Assert.Equal((200, 200, null), twoDays);
        Assert.Equal((400, 400), (threeDays.Native, threeDays.Jaeger));
        Assert.EndsWith("wider than the maximum of 2.00:00:00 (Query:MaxSearchRange): narrow start and end", threeDays.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidRetentionPeriodStopsQueryApiAtStartNamingTheKey()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "00:00:00" });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => SearchAsync(factory, TimeSpan.FromHours(1)));

        Assert.Contains("Retention:Period must be between 1 s and 3650 days.", error.ToString(), StringComparison.Ordinal);
    }
}
