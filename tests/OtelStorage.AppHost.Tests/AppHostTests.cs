using Aspire.Hosting.Testing;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.AppHost.Tests;

/// <summary>Starts the whole system in Local mode (rabbitmq-server and s3rver as processes) and checks it comes up clean.</summary>
[Collection(LocalAppHostCollection.Name)]
public sealed class AppHostTests(LocalAppHostFixture fixture)
{
    [Fact]
    public async Task EveryResourceBecomesHealthyAndServicesAnswerHealthWithoutLoggingErrors()
    {
        var ct = TestContext.Current.CancellationToken;

        foreach (var service in LocalAppHostFixture.Services)
        {
            // Health.Api's /health is the pipeline's view: its first poll may predate the other services' start, so
            // it is Unhealthy (503) until a poll sees them up. Every other service is healthy once Aspire says so.
            using var client = fixture.App.CreateHttpClient(service, "http");
            await Eventually.ValueAsync(
                async token =>
                {
                    using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), token);
                    return response.StatusCode;
                },
                status => (int)status is >= 200 and < 300,
                LocalAppHostFixture.StartTimeout,
                ct,
                what: $"{service} /health to answer success",
                describe: status => $"{(int)status}",
                interval: TimeSpan.FromMilliseconds(250));
        }

        Assert.Empty(fixture.ServiceErrors());
    }
}
