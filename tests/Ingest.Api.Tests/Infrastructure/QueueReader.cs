using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Ingest.Api.Tests.Infrastructure;

/// <summary>A message taken from the span queue, decoded.</summary>
public sealed record QueuedMessage(ExportTraceServiceRequest Body, IReadOnlyBasicProperties Properties)
{
    public string Header(string name) => Properties.Headers?[name] switch
    {
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        null => throw new KeyNotFoundException(name),
        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}

/// <summary>Reads span messages back from the queue, as a consumer would.</summary>
public static class QueueReader
{
    /// <summary>Takes messages until they hold <paramref name="spans"/> spans, or fails after <paramref name="timeout"/>.</summary>
    public static async Task<List<QueuedMessage>> TakeAsync(string connectionString, string queue, int spans, TimeSpan timeout)
    {
        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var messages = new List<QueuedMessage>();
        var count = 0;
        await Eventually.ValueAsync(
            async ct =>
            {
                // Takes what is ready, and no message past the spans asked for.
                while (count < spans && await channel.BasicGetAsync(queue, autoAck: true, ct) is { } result)
                {
                    var body = ExportTraceServiceRequest.Parser.ParseFrom(result.Body.Span);
                    messages.Add(new QueuedMessage(body, result.BasicProperties));
                    count += body.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count));
                }

                return count;
            },
            taken => taken >= spans,
            timeout,
            TestContext.Current.CancellationToken,
            what: $"{spans} spans from {queue}",
            describe: taken => $"{taken} spans taken",
            interval: TimeSpan.FromMilliseconds(50));
        return messages;
    }

    public static async Task<uint> CountAsync(string connectionString, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        return await channel.MessageCountAsync(queue, TestContext.Current.CancellationToken);
    }
}
