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
            // Health.Api's /health is the pipeline's view: its first poll may predate the other services' start, so
            // it is Unhealthy (503) until a poll sees them up. Every other service is healthy once Aspire says so.
            using var client = fixture.App.CreateHttpClient(service, "http");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(LocalAppHostFixture.StartTimeout);
            var status = 0;
            try
            {
                while (true)
                {
                    using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), deadline.Token);
                    status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"{service} /health answered {status} until the {LocalAppHostFixture.StartTimeout} deadline");
            }
        }

        Assert.Empty(fixture.ServiceErrors());
    }
}
