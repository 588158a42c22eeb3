using Microsoft.Playwright;
using Xunit;

namespace Health.Api.FunctionalTests;

/// <summary>The chart page in Debian's headless Chromium, driven by Playwright (no browser download: its executable path is set).</summary>
[Collection(PipelineCollection.Name)]
public sealed class ChartPageTests(PipelineHealthFixture fixture)
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    [Fact]
    public async Task TheChartPageLoadsAndDrawsEveryChartWithoutConsoleErrors()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium package (apt-get install -y chromium).");
        using var client = fixture.CreateHealthClient();
        await PipelineHealthFixture.WaitForHealthAsync(client, _ => true, PipelineHealthFixture.StartTimeout, ct);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Add($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => errors.Add("page error: " + error);
        page.RequestFailed += (_, request) => errors.Add($"request failed: {request.Url} {request.Failure}");

        var response = await page.GotoAsync(client.BaseAddress!.ToString());
        Assert.NotNull(response);
        Assert.True(response.Ok, $"/ answered {response.Status}");
        await page.WaitForFunctionAsync("document.querySelectorAll('#charts .chart path.line').length >= 5", null, new() { Timeout = 30_000 });

        var status = await page.TextContentAsync("#status");
        Assert.Contains(status, new[] { "Healthy", "Degraded", "Unhealthy" });
        Assert.Equal(9, await page.Locator("#charts .chart").CountAsync());
        Assert.True(await page.Locator("#components tbody tr").CountAsync() >= 6);
        Assert.Empty(errors);
    }
}
