using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OtelStorage.Testing;
using RabbitMQ.Client;

namespace OtelStorage.Chaos.Tests.Stack;

/// <summary>The span queue's depth: ready messages over AMQP (exact, now), bytes from the management API (sampled every 5 s by the broker).</summary>
public sealed class QueueProbe(RabbitMqServer broker, string queue) : IDisposable
{
    private readonly HttpClient _management = new()
    {
        BaseAddress = broker.ManagementUri,
        Timeout = TimeSpan.FromSeconds(10),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest"))) },
    };

    /// <summary>Messages ready for delivery (not counting those delivered and not yet acknowledged).</summary>
    public async Task<uint> ReadyMessagesAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(broker.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        return ok.MessageCount;
    }

    /// <summary>The management API's figures for the queue: total message bytes and ready message bytes.</summary>
    public async Task<(long Bytes, long ReadyBytes, long Messages)> StatisticsAsync(CancellationToken cancellationToken)
    {
        var body = await _management.GetStringAsync(new Uri("api/queues/%2F/" + Uri.EscapeDataString(queue), UriKind.Relative), cancellationToken);
        using var json = JsonDocument.Parse(body);
        long Get(string name) => json.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return (Get("message_bytes"), Get("message_bytes_ready"), Get("messages"));
    }

    public void Dispose() => _management.Dispose();
}
