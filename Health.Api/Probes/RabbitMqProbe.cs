using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Health.Api.Options;
using Health.Api.Pipeline;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging;

namespace Health.Api.Probes;

/// <summary>
/// Reads the span queue and its dead-letter queue from the RabbitMQ management HTTP API
/// (<c>GET /api/queues/{vhost}/{queue}</c>): depth, unacknowledged, consumers and the publish count.
/// </summary>
public sealed class RabbitMqProbe(
    IHttpClientFactory httpClientFactory,
    IOptions<RabbitMqManagementOptions> management,
    IOptions<SpanQueueOptions> queues,
    IOptions<HealthOptions> options)
{
    public const string HttpClientName = "rabbitmq-management";

    public async Task<BrokerObservation> ProbeAsync(CancellationToken cancellationToken)
    {
        var (check, value) = await Timed.RunAsync(options.Value.CheckTimeout, async ct =>
        {
            var queue = await ReadQueueAsync(queues.Value.Queue, ct);
            var deadLetter = await ReadQueueAsync(queues.Value.DeadLetterQueue, ct);
            return (queue, deadLetter);
        }, cancellationToken);
        return new BrokerObservation(check, value.queue, value.deadLetter);
    }

    private async Task<QueueStats> ReadQueueAsync(string queue, CancellationToken cancellationToken)
    {
        var o = management.Value;
        var baseUri = new Uri(o.ManagementUrl ?? throw new InvalidOperationException("Health:RabbitMq:ManagementUrl is not set and ConnectionStrings:messaging does not give it."));
        var uri = new Uri(baseUri, $"api/queues/{Uri.EscapeDataString(o.VirtualHost ?? "/")}/{Uri.EscapeDataString(queue)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.Username ?? "guest"}:{o.Password ?? "guest"}")));
        using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // Ingest.Api and Batcher.Worker declare the queues at start; until then there is nothing to measure.
            return QueueStats.Missing;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the management API answered {(int)response.StatusCode} for queue {queue}");
        }

        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = json.RootElement;
        long? published = root.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("publish", out var p) ? p.GetInt64() : null;
        return new QueueStats(true, Long(root, "messages_ready"), Long(root, "messages_unacknowledged"), (int)Long(root, "consumers"), published);
    }

    // A queue just declared may not carry every field until the broker's next statistics tick.
    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
