using System.Text.Json;
using Health.Api.Options;
using Health.Api.Pipeline;
using Microsoft.Extensions.Options;
using ServiceDefaults = Microsoft.Extensions.Hosting.Extensions;

namespace Health.Api.Probes;

/// <summary>Polls one service's <c>/alive</c>, <c>/health</c> and <c>/health/metrics</c>, through service discovery.</summary>
public sealed class ServiceProbe(IHttpClientFactory httpClientFactory, IOptions<HealthOptions> options)
{
    /// <summary>The named HttpClient: service discovery, no retries (a failed probe is the answer).</summary>
    public const string HttpClientName = "health-probe";

    public async Task<ServiceObservation> ProbeAsync(string name, MonitoredServiceOptions service, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        var baseAddress = new Uri(service.Url ?? $"http://{name}");
        var timeout = options.Value.CheckTimeout;

        var alive = Timed.RunAsync(timeout, ct => GetAsync(client, new Uri(baseAddress, ServiceDefaults.AlivenessEndpointPath), ct), cancellationToken);
        var ready = Timed.RunAsync(timeout, ct => GetAsync(client, new Uri(baseAddress, ServiceDefaults.HealthEndpointPath), ct), cancellationToken);
        var metrics = Timed.RunAsync(timeout, ct => client.GetFromJsonAsync<MetricsSnapshotDocument>(new Uri(baseAddress, ServiceDefaults.MetricsSnapshotPath), JsonSerializerOptions.Web, ct), cancellationToken);
        await Task.WhenAll(alive, ready, metrics);

        return new ServiceObservation(name, (await alive).Check, (await ready).Check, (await metrics).Value);
    }

    private static async Task<bool> GetAsync(HttpClient client, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(uri, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{uri.AbsolutePath} answered {(int)response.StatusCode}: {await FailingChecksAsync(response, cancellationToken)}");
        }

        return true;
    }

    /// <summary>Names the failing checks of the ServiceDefaults health JSON, e.g. "messaging Unhealthy".</summary>
    private static async Task<string> FailingChecksAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("checks", out var checks) && checks.ValueKind == JsonValueKind.Object)
            {
                var failing = checks.EnumerateObject()
                    .Where(c => c.Value.TryGetProperty("status", out var s) && s.GetString() != "Healthy")
                    .Select(c => $"{c.Name} {c.Value.GetProperty("status").GetString()}"
                                 + (c.Value.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? $" ({d.GetString()})" : string.Empty));
                return string.Join(", ", failing);
            }
        }
        catch (JsonException)
        {
            // Not the ServiceDefaults JSON: the text itself says what is wrong.
        }

        return body.Length > 200 ? body[..200] : body;
    }
}
