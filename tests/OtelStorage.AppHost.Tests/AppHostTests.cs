using Aspire.Hosting.Testing;
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
            using var client = fixture.App.CreateHttpClient(service, "http");
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), ct).WaitAsync(LocalAppHostFixture.StartTimeout, ct);
            Assert.True(response.IsSuccessStatusCode, $"{service} /health answered {(int)response.StatusCode}");
        }

        Assert.Empty(fixture.ServiceErrors());
    }
}
